"""Where a cold start's import time goes: `python -X importtime` output, by module, package and group."""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from typing import Any

# The fixed stack (the floor imports it) and its own dependencies.
STACK = {
    "sqlalchemy",
    "starlette",
    "asyncpg",
    "pydantic",
    "pydantic_core",
    "structlog",
    "annotated_types",
    "typing_extensions",
    "typing_inspection",
    "greenlet",
    "anyio",
    "sniffio",
    "idna",
}
OURS = {"lib", "api"}
IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)$")


def parse_importtime(stderr: str) -> dict[str, tuple[int, int, int]]:
    """module -> (self µs, cumulative µs, nesting level) from `python -X importtime` output."""
    modules: dict[str, tuple[int, int, int]] = {}
    for line in stderr.splitlines():
        match = IMPORT_LINE.match(line)
        if match:
            self_us, cumulative_us, indent, name = match.groups()
            modules[name] = (int(self_us), int(cumulative_us), len(indent) // 2)
    return modules


def group_of(module: str) -> str:
    top = module.split(".")[0]
    if top in OURS:
        return "ours (lib/, api/)"
    if top == "bench":
        return "bench harness"
    if top in STACK:
        return "fixed stack"
    if top in sys.stdlib_module_names or top.startswith("_"):
        return "stdlib"
    return "other dependencies"


def import_breakdown(runs: list[dict[str, tuple[int, int, int]]]) -> dict[str, Any]:
    """Median self time per module and per group over several -X importtime runs."""
    per_module: dict[str, list[int]] = defaultdict(list)
    cumulative: dict[str, list[int]] = defaultdict(list)
    for modules in runs:
        for name, (self_us, cum_us, _level) in modules.items():
            per_module[name].append(self_us)
            cumulative[name].append(cum_us)
    median_self = {name: sorted(v)[len(v) // 2] / 1000 for name, v in per_module.items()}
    median_cum = {name: sorted(v)[len(v) // 2] / 1000 for name, v in cumulative.items()}
    groups: dict[str, float] = defaultdict(float)
    packages: dict[str, float] = defaultdict(float)
    for name, ms in median_self.items():
        groups[group_of(name)] += ms
        packages[name.split(".")[0]] += ms
    ours = sorted(
        ((n, median_self[n], median_cum[n]) for n in median_self if group_of(n).startswith("ours")),
        key=lambda x: -x[1],
    )
    others = sorted(
        ((n, median_self[n], median_cum[n]) for n in median_self if not group_of(n).startswith("ours")),
        key=lambda x: -x[1],
    )
    return {
        "total_self_ms": round(sum(median_self.values()), 1),
        "groups_ms": {k: round(v, 1) for k, v in sorted(groups.items(), key=lambda x: -x[1])},
        "packages_ms": {k: round(v, 1) for k, v in sorted(packages.items(), key=lambda x: -x[1])[:15]},
        "ours_top": [
            {"module": n, "self_ms": round(s, 2), "cumulative_ms": round(c, 2)} for n, s, c in ours[:12]
        ],
        "stack_top": [
            {"module": n, "self_ms": round(s, 2), "cumulative_ms": round(c, 2)} for n, s, c in others[:12]
        ],
        "modules_imported": len(median_self),
    }
