"""The function loader: every `api/**.py` file Vercel deploys, imported by path as Vercel imports it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
API_DIR = ROOT / "api"


def function_files(api_dir: Path = API_DIR) -> list[Path]:
    """Every function file Vercel deploys (files starting with `_` are not functions)."""
    return sorted(path for path in api_dir.rglob("*.py") if not path.name.startswith("_"))


def module_name(path: Path, root: Path = ROOT) -> str:
    """`<root>/api/cron/archive.py` -> `api.cron.archive`."""
    return ".".join(path.resolve().relative_to(root).with_suffix("").parts)


def load_function(path: Path, root: Path = ROOT) -> ModuleType:
    """The module of function file `path`, imported once per process under its dotted name."""
    name = module_name(path, root)
    module = sys.modules.get(name)
    if module is not None:
        return module
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load function file {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
