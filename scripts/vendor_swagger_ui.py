"""Copy the pinned swagger-ui-dist files the API reference page needs from node_modules into public/."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from devkit.processes import ROOT

PACKAGE = "swagger-ui-dist"
VERSION = "5.35.0"  # package.json pins the same; a bump there must rerun this script (a test checks)
SOURCE = ROOT / "node_modules" / PACKAGE
TARGET = ROOT / "public" / "api-docs"
# What /api/docs loads, plus the licences that must travel with it (Apache-2.0: LICENSE and NOTICE;
# the MIT and other notices of what the bundle inlines). Left out: the standalone preset and its
# layout (a top bar with a URL box), index.html/index.css/swagger-initializer.js (the petstore demo;
# api/openapi.py and public/api-docs/init.js replace them), favicons, the ES/unbundled builds and
# the source maps (4 MB; a browser fetches a map only when its developer tools are open).
FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE", "swagger-ui-bundle.js.LICENSE.txt")
# Ours, not copied: the Swagger UI configuration the page runs.
OWN = ("init.js",)


def pinned_version(root: Path = ROOT) -> str:
    """The version of swagger-ui-dist that package.json pins."""
    pin: str = json.loads((root / "package.json").read_text())["devDependencies"][PACKAGE]
    return pin


def installed_version(source: Path = SOURCE) -> str:
    version: str = json.loads((source / "package.json").read_text())["version"]
    return version


def problems(source: Path = SOURCE, target: Path = TARGET) -> list[str]:
    """Why the copies in `target` are not exactly the pinned package's files (empty: they are)."""
    found = []
    if pinned_version() != VERSION:
        found.append(f"package.json pins {PACKAGE} {pinned_version()}, this script vendors {VERSION}")
    if installed_version(source) != VERSION:
        found.append(f"node_modules has {PACKAGE} {installed_version(source)}, not {VERSION}: run `npm ci`")
    for name in FILES:
        if not (target / name).is_file():
            found.append(f"{name}: missing in {target.relative_to(ROOT)}")
        elif (target / name).read_bytes() != (source / name).read_bytes():
            found.append(f"{name}: differs from {PACKAGE} {installed_version(source)}")
    extra = sorted(p.name for p in target.iterdir() if p.name not in FILES + OWN) if target.is_dir() else []
    found += [f"{name}: in {target.relative_to(ROOT)} but neither vendored nor ours" for name in extra]
    return found


def vendor(source: Path = SOURCE, target: Path = TARGET) -> None:
    """Copy FILES from `source` into `target` (after checking the installed version is the pin)."""
    if installed_version(source) != VERSION or pinned_version() != VERSION:
        raise SystemExit(
            f"{PACKAGE}: package.json pins {pinned_version()}, node_modules has "
            f"{installed_version(source)}, this script vendors {VERSION}: make all three agree (npm ci)"
        )
    target.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copyfile(source / name, target / name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when a copy is stale")
    args = parser.parse_args(argv)
    if not args.check:
        vendor()
    found = problems()
    for problem in found:
        print(f"FAIL {problem}", file=sys.stderr)
    total = sum((TARGET / name).stat().st_size for name in FILES if (TARGET / name).is_file())
    print(f"{PACKAGE} {VERSION}: {len(FILES)} files, {total / 1024:.0f} KiB in {TARGET.relative_to(ROOT)}/")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
