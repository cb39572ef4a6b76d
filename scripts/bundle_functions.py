"""The functions of a `vercel build` output: the files each ships, its distributions, the pins."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


@dataclass
class Function:
    """One `.func` directory: its config and every file it ships (bundle path -> file on disk)."""

    name: str
    directory: Path
    config: dict[str, Any]
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return sum(path.stat().st_size for path in self.files.values())

    def distributions(self) -> dict[str, str]:
        """Top-level `_vendor` distributions: canonical name -> version, from their METADATA."""
        found: dict[str, str] = {}
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
    found: dict[str, str] = {}
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
