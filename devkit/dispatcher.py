"""One ASGI app in front of every `api/**.py`, routed as vercel.json routes them (`make dev`, the tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from devkit.processes import ROOT
from devkit.vercel_routes import Rewrite, load_rewrites, resolve
from lib.web.functions import load_function


class Dispatcher:
    """One ASGI app in front of every `api/**.py`, routed as vercel.json routes them."""

    def __init__(self, root: Path = ROOT, rewrites: list[Rewrite] | None = None) -> None:
        self.root = root
        self.rewrites = rewrites if rewrites is not None else load_rewrites(root / "vercel.json")
        self.not_found: Any = None
        self.resolved: dict[str, Path] = {}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        target = self.resolved.get(scope["path"]) or resolve(scope["path"], self.rewrites, self.root)
        if target is not None and len(self.resolved) < 10_000:
            self.resolved[scope["path"]] = target  # misses are not cached: a new api/ file is found
        if target is None:
            if self.not_found is None:
                from lib.web.app import create_app

                self.not_found = create_app([])  # answers the API's 404 shape, as a function would
            await self.not_found(scope, receive, send)
            return
        await load_function(target, self.root).app(scope, receive, send)
