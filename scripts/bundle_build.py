"""`vercel build` in a throwaway copy of the work tree, offline and without a Vercel login."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from devkit.processes import ROOT
from scripts.bundle_checks import MUST_EXCLUDE


def build_copy() -> tuple[Path, float]:
    """`vercel build --yes` in a throwaway copy of the work tree, offline and without a Vercel login."""
    project = Path(tempfile.mkdtemp(prefix="vercel-build-"))
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (item.decode() for item in listed)):
        if (ROOT / name).is_file():  # tracked files deleted in the work tree stay deleted
            (project / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, project / name)
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
    env = dict(os.environ, VERCEL_TELEMETRY_DISABLED="1", NO_UPDATE_NOTIFIER="1")
    # uv (pinned in requirements-dev.txt) and Python 3.12 come from the venv, as the builder looks them up.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    vercel = ROOT / "node_modules" / ".bin" / "vercel"  # by path: npx must never fetch another version
    started = time.monotonic()
    subprocess.run([str(vercel), "build", "--yes"], cwd=project, env=env, check=True)
    return project, time.monotonic() - started
