"""Checks a `vercel build` output: sizes, bundled dependencies, excludes, routes and one smoke request."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.parser import HeaderParser
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devkit.vercel_routes import load_rewrites, resolve  # noqa: E402

MIB = 1024 * 1024
# @vercel/python's LAMBDA_SIZE_THRESHOLD_BYTES: past it the builder switches to "large function" packing.
SIZE_LIMIT = 225 * MIB
# vercel.json must keep these out of every function (`--build` plants a bait file in each of them).
MUST_EXCLUDE = ("tests", "bench", "devkit", ".data", "migrations")
# Dev-only pins Vercel itself bundles: its builder injects vercel-runtime (pinned by @vercel/python,
# with uvicorn & co. vendored inside vercel_runtime/_vendor), whatever requirements-dev.txt says.
INJECTED_BY_VERCEL = frozenset({"vercel-runtime"})
SMOKE_FUNCTION = "api/openapi"

SMOKE_PROBE = """
import base64, json, sys
import vc__handler__python as entry  # the trampoline Lambda imports from the task root (cwd)
request = json.loads(sys.argv[1])
result = entry.vc_handler({"body": json.dumps(request)}, None)
outside = sorted(
    name for name, module in list(sys.modules.items())
    if getattr(module, "__file__", None) and "site-packages" in module.__file__
)
print("RESULT " + json.dumps({
    "status": result["statusCode"], "headers": result["headers"],
    "body": base64.b64decode(result["body"]).decode() if result.get("encoding") == "base64"
    else result["body"],
    "encoding": result.get("encoding"),
    "starlette": sys.modules["starlette"].__file__, "from_site_packages": outside,
}))
"""


@dataclass
class Function:
    """One `.func` directory: its config and every file it ships (bundle path -> file on disk)."""

    name: str
    directory: Path
    config: dict
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return sum(path.stat().st_size for path in self.files.values())

    def distributions(self) -> dict[str, str]:
        """Top-level `_vendor` distributions: canonical name -> version, from their METADATA."""
        found = {}
        for bundle_path, source in self.files.items():
            if re.fullmatch(r"_vendor/[^/]+\.dist-info/METADATA", bundle_path):
                meta = HeaderParser().parsestr(source.read_text(errors="replace"))
                found[canonicalize_name(meta["Name"])] = meta["Version"]
        return found

    def requires(self, name: str) -> list[Requirement]:
        for bundle_path, source in self.files.items():
            if re.fullmatch(r"_vendor/[^/]+\.dist-info/METADATA", bundle_path):
                meta = HeaderParser().parsestr(source.read_text(errors="replace"))
                if canonicalize_name(meta["Name"]) == name:
                    return [Requirement(line) for line in meta.get_all("Requires-Dist") or []]
        return []


def load_functions(project: Path) -> list[Function]:
    output = project / ".vercel" / "output" / "functions"
    functions = []
    for directory in sorted(output.rglob("*.func")):
        config = json.loads((directory / ".vc-config.json").read_text())
        function = Function(str(directory.relative_to(output))[: -len(".func")], directory, config)
        for bundle_path, source in config.get("filePathMap", {}).items():
            function.files[bundle_path] = project / source
        for path in directory.rglob("*"):
            if path.is_file() and path.name != ".vc-config.json":
                function.files[str(path.relative_to(directory))] = path
        functions.append(function)
    return functions


def pins(path: Path) -> dict[str, str]:
    """`name==version` lines of a requirements file (its `-r` includes are not followed)."""
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            requirement = Requirement(line)
            found[canonicalize_name(requirement.name)] = str(requirement.specifier).removeprefix("==")
    return found


def closure(function: Function, roots: Iterable[str]) -> set[str]:
    """Every distribution `roots` pull in, following the bundle's own Requires-Dist (with extras)."""
    seen: set[str] = set()
    todo = [(canonicalize_name(name), frozenset[str]()) for name in roots]
    while todo:
        name, extras = todo.pop()
        key = name if not extras else f"{name}[{','.join(sorted(extras))}]"
        if key in seen:
            continue
        seen.add(key)
        for requirement in function.requires(name):
            environments = [{"extra": extra} for extra in extras] or [{"extra": ""}]
            if requirement.marker is None or any(requirement.marker.evaluate(env) for env in environments):
                todo.append((canonicalize_name(requirement.name), frozenset(requirement.extras)))
    return {key.split("[")[0] for key in seen}


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


def smoke(project: Path, function: Function) -> list[str]:
    """Copy one function's files into a fresh task root and send it a request through its trampoline."""
    with tempfile.TemporaryDirectory(prefix="vercel-task-") as task:
        root = Path(task)
        for bundle_path, source in function.files.items():
            (root / bundle_path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / bundle_path)
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LAMBDA_TASK_ROOT": task}
        env.update(function.config.get("environment", {}))
        request = {
            "method": "GET",
            "path": "/api/openapi.json",
            "headers": {"host": "launchpad.test"},
            "body": "",
        }
        # -S -s: no site-packages at all (neither the venv's nor the user's): only the bundle and stdlib.
        run = subprocess.run(
            [sys.executable, "-S", "-s", "-c", SMOKE_PROBE, json.dumps(request)],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        lines = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
        if run.returncode != 0 or not lines:
            return [f"smoke request through {function.name}.func failed: {run.stderr[-3000:]}"]
        result = json.loads(lines[0].removeprefix("RESULT "))
        problems = []
        if result["status"] != 200:
            problems.append(
                f"smoke: GET /api/openapi.json answered {result['status']}: {result['body'][:500]}"
            )
        else:
            document = json.loads(result["body"])
            rewrites = json.loads((project / "vercel.json").read_text()).get("rewrites", [])
            expected = {"/api/health"} | {
                r["source"].removesuffix("/:path*") for r in rewrites if r["destination"] != "/api/openapi"
            }
            missing = sorted(
                p for p in expected if not any(route.startswith(p) for route in document["paths"])
            )
            if missing:
                problems.append(f"smoke: the OpenAPI document lacks {missing}")
        if not result["starlette"].startswith(str(root / "_vendor")):
            problems.append(f"smoke: starlette came from {result['starlette']}, not the bundle")
        if result["from_site_packages"]:
            problems.append(
                f"smoke: modules loaded from a site-packages: {result['from_site_packages'][:10]}"
            )
        paths = len(json.loads(result["body"]).get("paths", {})) if result["status"] == 200 else 0
        print(
            f"smoke: GET /api/openapi.json through {function.name}.func's vc__handler__python, with the "
            f"bundle's vercel_runtime under python -S (no site-packages): {result['status']}, {paths} paths "
            f"(body encoding {result['encoding']}), x-request-id {result['headers'].get('x-request-id')}"
        )
        if not result["headers"].get("x-request-id"):
            problems.append("smoke: no x-request-id header")
        return problems


def report(project: Path, smoke_function: str) -> int:
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
        size = function.size
        print(
            f"{function.name:<24}{len(function.files):>7}{size / MIB:>9.2f}  {100 * size / SIZE_LIMIT:5.1f}%"
        )
        if size > SIZE_LIMIT:
            problems.append(
                f"{function.name}: {size / MIB:.1f} MiB is over the {SIZE_LIMIT // MIB} MiB limit"
            )
        entrypoint = f"{function.name}.py"
        for needed in (entrypoint, "lib/__init__.py"):
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

        patterns = excludes.get(entrypoint, [])
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
                problems.append(
                    f"{function.name}: bundles {len(leaked)} file(s) of {directory}/: {leaked[:3]}"
                )

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
