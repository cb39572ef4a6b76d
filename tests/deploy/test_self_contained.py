"""No tracked file refers to a path outside the repository: a user's clone has nothing beside it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Built from pieces so that this file, which is scanned too, does not contain them itself.
OUTSIDE = ("../" + "shared", "/" + "work" + "/")


def _tracked_files() -> list[Path]:
    try:
        listing = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60
        ).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.skip(f"not a git checkout ({error})")
    return [ROOT / name for name in listing.decode().split("\0") if name]


def test_no_tracked_file_refers_to_a_path_outside_the_repository() -> None:
    offenders = []
    for path in _tracked_files():
        relative = path.relative_to(ROOT)
        if path.is_symlink():
            target = (path.parent / os.readlink(path)).resolve()
            if not target.is_relative_to(ROOT):
                offenders.append(f"{relative}: a symlink to {target}")
            continue
        if not path.is_file():
            continue  # deleted in the work tree, not yet committed
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue  # binary
        for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            offenders += [f"{relative}:{number}: {needle}" for needle in OUTSIDE if needle in line]
    assert not offenders, "paths outside the repository:\n" + "\n".join(offenders)
