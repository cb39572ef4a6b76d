"""Checks a `vercel build` output: sizes, bundled dependencies, excludes, routes and one smoke request."""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from scripts.bundle_build import build_copy
from scripts.bundle_checks import (
    INJECTED_BY_VERCEL,
    MIB,
    MUST_EXCLUDE,
    SIZE_LIMIT,
    check_function,
    exclude_patterns,
)
from scripts.bundle_functions import closure, load_functions, pins
from scripts.bundle_routes import check_routes
from scripts.bundle_smoke import smoke

SMOKE_FUNCTION = "api/openapi"


def report(project: Path, smoke_function: str) -> int:
    """Every check of the build in `project`, printed; the exit status (1 when a check failed)."""
    functions = load_functions(project)
    problems: list[str] = []
    api_files = {
        str(p.relative_to(project))[: -len(".py")]
        for p in (project / "api").rglob("*.py")
        if not any(part.startswith("_") for part in p.relative_to(project).parts)
    }
    if {f.name for f in functions} != api_files:
        problems.append(
            f"functions built {sorted(f.name for f in functions)} != api files {sorted(api_files)}"
        )
    runtime = pins(project / "requirements.txt")
    dev_only = {name for name in pins(project / "requirements-dev.txt") if name not in runtime}
    excludes = exclude_patterns(project)
    for directory in MUST_EXCLUDE:
        if not any(path.is_file() for path in (project / directory).rglob("*")):
            problems.append(f"{directory}/ has no file in the build copy: its exclusion would prove nothing")

    print(f"{'function':<24}{'files':>7}{'MiB':>9}  of the {SIZE_LIMIT // MIB} MiB Python limit")
    for function in functions:
        problems += check_function(function, runtime, dev_only, excludes.get(f"{function.name}.py", []))

    first = functions[0]
    extra = sorted(set(first.distributions()) - closure(first, [*runtime, *INJECTED_BY_VERCEL]))
    injected = {name: first.distributions().get(name) for name in sorted(INJECTED_BY_VERCEL)}
    print(f"dependencies: all {len(runtime)} pins of requirements.txt bundled at their versions; none of")
    print(f"  {sorted(dev_only - INJECTED_BY_VERCEL)}; Vercel injects {injected}")
    vendored = sorted(
        {p.split("/")[3] for p in first.files if p.startswith("_vendor/vercel_runtime/_vendor/")}
    )
    print(f"  vercel_runtime vendors {[v for v in vendored if '.' not in v]}")
    print(f"  bundled outside requirements.txt's dependency closure: {extra}")
    print(f"excluded from every function: {', '.join(d + '/' for d in MUST_EXCLUDE)} (excludeFiles honoured)")

    problems += check_routes(project, functions)
    target = next((f for f in functions if f.name == smoke_function), None)
    problems += smoke(project, target) if target else [f"no {smoke_function}.func to smoke-test"]

    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    print("bundle: OK" if not problems else f"bundle: {len(problems)} problem(s)")
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("project", type=Path, nargs="?", help="a directory `vercel build` already ran in")
    target.add_argument("--build", action="store_true", help="run `vercel build` in a temporary copy first")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy (with --build)")
    parser.add_argument("--smoke-function", default=SMOKE_FUNCTION)
    args = parser.parse_args()
    if not args.build:
        return report(args.project.resolve(), args.smoke_function)
    started = time.monotonic()
    project, build_seconds = build_copy()
    try:
        status = report(project, args.smoke_function)
        print(f"timing: vercel build {build_seconds:.0f}s, whole check {time.monotonic() - started:.0f}s")
        return status
    finally:
        if args.keep:
            print(f"kept {project}")
        else:
            shutil.rmtree(project, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
