"""One ASGI app in front of `public/` and every `api/**.py`, routed as on Vercel (`make dev`, the tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.responses import FileResponse

from devkit.processes import ROOT
from devkit.vercel_routes import Rewrite, load_rewrites, resolve
from lib.web.functions import load_function


class Dispatcher:
    """One ASGI app in front of every `api/**.py`, routed as vercel.json routes them.

    A GET or HEAD of a file in `public/` is answered with that file first, as Vercel's CDN does
    (`/` and `/dir/` with their `index.html`); everything else goes to a function.
    """

    def __init__(self, root: Path = ROOT, rewrites: list[Rewrite] | None = None) -> None:
        self.root = root
        self.public = (root / "public").resolve()
        self.rewrites = rewrites if rewrites is not None else load_rewrites(root / "vercel.json")
        self.not_found: Any = None
        self.resolved: dict[str, Path] = {}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            static = self.static_file(scope["path"])
            if static is not None:
                # Vercel's default for a static file: cached, but revalidated on every use.
                headers = {"cache-control": "public, max-age=0, must-revalidate"}
                await FileResponse(static, headers=headers)(scope, receive, send)
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

    def static_file(self, url_path: str) -> Path | None:
        """The file of `public/` that `url_path` names, if any (never one outside `public/`)."""
        relative = url_path.lstrip("/")
        if any(part in (".", "..") for part in relative.split("/")):
            return None
        candidate = self.public / relative
        try:
            if candidate.is_dir():
                candidate = candidate / "index.html"
            if not candidate.is_file():
                return None
            resolved = candidate.resolve()
        except (OSError, ValueError):  # a name too long, a NUL byte: no such file
            return None
        return resolved if resolved.is_relative_to(self.public) else None
