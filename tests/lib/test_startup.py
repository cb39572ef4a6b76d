"""A function's cold start: the garbage collector is paused while it loads, and what it built is frozen."""

from __future__ import annotations

import ast
import json
import subprocess

import pytest

from devkit.processes import PYTHON, ROOT, subprocess_env
from lib.web.functions import function_files

# Loads one function as Vercel does (by path) in a fresh interpreter; reports the collector's state.
CHILD = """
import gc, json, py_compile, sys
from pathlib import Path
from lib.web.functions import load_function
py_compile.compile(sys.argv[1])  # its bytecode cached, as after a deploy: compiling it is no load
before = sum(s["collections"] for s in gc.get_stats())
load_function(Path(sys.argv[1]))
print(json.dumps({
    "collections_while_loading": sum(s["collections"] for s in gc.get_stats()) - before,
    "enabled": gc.isenabled(),
    "frozen": gc.get_freeze_count(),
}))
"""


@pytest.mark.parametrize("path", function_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_function_imports_lib_startup_first(path) -> None:  # type: ignore[no-untyped-def]
    imports = [n for n in ast.parse(path.read_text()).body if isinstance(n, ast.Import | ast.ImportFrom)]
    first = imports[0]
    assert isinstance(first, ast.Import) and first.names[0].name == "lib.startup", ast.dump(first)


@pytest.mark.parametrize("name", ["api/projects.py", "api/cron/archive.py"])
def test_loading_a_function_collects_nothing_then_freezes_and_resumes(name: str) -> None:
    run = subprocess.run(
        [PYTHON, "-c", CHILD, str(ROOT / name)],
        env=subprocess_env(LAUNCHPAD_LOCAL="1"),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    state = json.loads(run.stdout)
    # Without the pause, loading api/projects.py runs the collector dozens of times (a full one too).
    assert state["collections_while_loading"] == 0, state
    assert state["enabled"] and state["frozen"] > 100_000, state
