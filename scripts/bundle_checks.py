"""Checks of each built function: the size limit, the bundled pins, excludeFiles."""

from __future__ import annotations

import json
import re
from pathlib import Path

from scripts.bundle_functions import Function

MIB = 1024 * 1024
# @vercel/python's LAMBDA_SIZE_THRESHOLD_BYTES: past it the builder switches to "large function" packing.
SIZE_LIMIT = 225 * MIB
# vercel.json must keep these out of every function (`--build` plants a bait file in each of them).
MUST_EXCLUDE = ("tests", "bench", "devkit", ".data", "migrations")
# Dev-only pins Vercel itself bundles: its builder injects vercel-runtime (pinned by @vercel/python,
# with uvicorn & co. vendored inside vercel_runtime/_vendor), whatever requirements-dev.txt says.
INJECTED_BY_VERCEL = frozenset({"vercel-runtime"})
# Data files lib/ reads at run time: every function bundles lib/, so each must carry them too.
_ROOT = Path(__file__).resolve().parent.parent
# lib/web/openapi.json: the document api/openapi.py serves (`make openapi`).
DATA_FILES = (
    *sorted(p.relative_to(_ROOT).as_posix() for p in (_ROOT / "lib/mail/templates").iterdir()),
    "lib/web/openapi.json",
)


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A minimatch-style glob (`**`, `*`) as a regex over bundle paths."""
    regex = ""
    for token in re.split(r"(\*\*/|/\*\*|\*)", pattern):
        regex += {"**/": "(?:.*/)?", "/**": "(?:/.*)?", "*": "[^/]*"}.get(token, re.escape(token))
    return re.compile(f"^{regex}$")


def exclude_patterns(project: Path) -> dict[str, list[str]]:
    """Entrypoint -> its excludeFiles patterns, as `vercel build` recorded them in builds.json."""
    builds = json.loads((project / ".vercel" / "output" / "builds.json").read_text())["builds"]
    result = {}
    for build in builds:
        raw = build.get("config", {}).get("excludeFiles", "")
        result[build["src"]] = [p for p in raw.strip("{}").split(",") if p] if isinstance(raw, str) else raw
    return result


def check_function(
    function: Function, runtime: dict[str, str], dev_only: set[str], patterns: list[str]
) -> list[str]:
    """One function's size (printed), entrypoint, bundled pins, test-only packages and excludeFiles."""
    problems: list[str] = []
    size = function.size
    print(f"{function.name:<24}{len(function.files):>7}{size / MIB:>9.2f}  {100 * size / SIZE_LIMIT:5.1f}%")
    if size > SIZE_LIMIT:
        problems.append(f"{function.name}: {size / MIB:.1f} MiB is over the {SIZE_LIMIT // MIB} MiB limit")
    entrypoint = f"{function.name}.py"
    for needed in (entrypoint, "lib/__init__.py", *DATA_FILES):
        if needed not in function.files:
            problems.append(f"{function.name}: {needed} is not in the bundle")

    bundled = function.distributions()
    for name, version in runtime.items():
        if bundled.get(name) != version:
            problems.append(f"{function.name}: {name}=={version} bundled as {bundled.get(name)}")
    for name in sorted(dev_only - INJECTED_BY_VERCEL):
        module = name.replace("-", "_")
        if name in bundled or any(path.startswith(f"_vendor/{module}/") for path in function.files):
            problems.append(f"{function.name}: test-only {name} is in the bundle")

    project_paths = [p for p in function.files if not p.startswith("_vendor/")]
    for pattern in patterns:
        leaked = [p for p in project_paths if glob_regex(pattern).match(p)]
        if leaked:
            problems.append(f"{function.name}: excludeFiles {pattern} but bundles {leaked[:5]}")
    for directory in MUST_EXCLUDE:
        if f"{directory}/**" not in patterns:
            problems.append(f"{function.name}: excludeFiles does not list {directory}/**")
        leaked = [p for p in project_paths if p.startswith(f"{directory}/")]
        if leaked:
            problems.append(f"{function.name}: bundles {len(leaked)} file(s) of {directory}/: {leaked[:3]}")
    return problems
