"""The built route table (Vercel's router emulated) against the route resolution of `make dev`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from devkit.processes import ROOT
from devkit.vercel_routes import load_rewrites, resolve
from scripts.bundle_functions import Function


def route_paths(project: Path, functions: list[Function]) -> list[str]:
    paths = {"/", "/api/nothing", "/api/nothing.py", "/lib/core/config.py", "/vercel.json", "/API/health"}
    for function in functions:
        paths |= {f"/{function.name}", f"/{function.name}.py", f"/{function.name}/1"}
    for rewrite in json.loads((project / "vercel.json").read_text()).get("rewrites", []):
        source = rewrite["source"]
        paths |= {source.replace("/:path*", ""), source.replace(":path*", "7/extra")}
        paths.add(source.replace(":path*", "7/extra.py"))
    return sorted(paths)


def check_routes(project: Path, functions: list[Function]) -> list[str]:
    """The built config.json's full route table (Vercel's router emulated) against make dev's resolve."""
    paths = route_paths(project, functions)
    command = ["node", str(ROOT / "scripts" / "vercel_check.mjs"), "--config", str(project / "vercel.json")]
    command += [
        "--root",
        str(project),
        "--build-output",
        str(project / ".vercel" / "output"),
        "--routes",
        *paths,
    ]
    run = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120)
    if not run.stdout:
        return [f"vercel_check.mjs failed: {run.stderr[-2000:]}"]
    report = json.loads(run.stdout)
    problems = [f"vercel.json check failed: {c}" for c in report["checks"] if not c["ok"]]
    rewrites = load_rewrites(project / "vercel.json")
    for path in paths:
        vercel = report["resolved"][path].get("function")
        local = resolve(path, rewrites, project)
        local_name = str(local.relative_to(project)) if local else None
        if vercel != local_name:
            problems.append(f"route {path}: Vercel (built config.json) -> {vercel}, make dev -> {local_name}")
    if not problems:
        print(f"routes: {len(paths)} paths resolved alike by the built config.json and make dev")
    return problems
