"""`vercel build` in a throwaway copy of the work tree, offline and without a Vercel login."""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path

from devkit.vercel_dev import VERCEL, copy_work_tree, tool_env
from scripts.bundle_checks import MUST_EXCLUDE


def build_copy() -> tuple[Path, float]:
    """`vercel build --yes` in a throwaway copy of the work tree, offline and without a Vercel login."""
    project = copy_work_tree(Path(tempfile.mkdtemp(prefix="vercel-build-")))
    for directory in MUST_EXCLUDE:  # bait, so that each exclusion is proven, not vacuous
        (project / directory).mkdir(exist_ok=True)
        (project / directory / "vercel-build-bait.txt").write_text("must not reach a function\n")
    # A linked project with its settings: `vercel build` then never calls Vercel's API (no `vercel pull`).
    (project / ".vercel").mkdir()
    (project / ".vercel" / "project.json").write_text(
        json.dumps(
            {"projectId": "prj_offline_build", "orgId": "team_offline_build", "settings": {"framework": None}}
        )
    )
    started = time.monotonic()
    subprocess.run([str(VERCEL), "build", "--yes"], cwd=project, env=tool_env(), check=True)
    return project, time.monotonic() - started
