"""Vercel's routing for `make dev`: a path reaches the function file Vercel would pick."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Rewrite:
    pattern: re.Pattern[str]
    destination: str


def compile_source(source: str) -> re.Pattern[str]:
    """path-to-regexp as Vercel uses it: `:name` is one segment, `:name*` zero or more; strict, so no
    trailing slash (Vercel's compiled `^/api/docs$` refuses `/api/docs/`)."""
    regex = ""
    for segment in source.strip("/").split("/"):
        if segment.startswith(":") and segment.endswith("*"):
            regex += r"(?:/[^/]+)*"
        elif segment.startswith(":"):
            regex += r"/[^/]+"
        else:
            regex += "/" + re.escape(segment)
    return re.compile(f"^{regex}$")


def load_rewrites(config_path: Path = ROOT / "vercel.json") -> list[Rewrite]:
    config = json.loads(config_path.read_text())
    return [Rewrite(compile_source(r["source"]), r["destination"]) for r in config.get("rewrites", [])]


def function_file(url_path: str, root: Path = ROOT) -> Path | None:
    """The `api/**.py` file serving `url_path` directly (Vercel checks the filesystem first)."""
    relative = url_path.strip("/")
    if not relative.startswith("api/") or ".." in relative.split("/"):
        return None
    candidate = root / f"{relative.removesuffix('.py')}.py"
    return candidate if candidate.is_file() and not candidate.name.startswith("_") else None


def resolve(url_path: str, rewrites: list[Rewrite], root: Path = ROOT) -> Path | None:
    """The function file for a request path: filesystem first, then the first matching rewrite."""
    direct = function_file(url_path, root)
    if direct is not None:
        return direct
    for rewrite in rewrites:
        if rewrite.pattern.match(url_path):
            return function_file(rewrite.destination, root)
    return None
