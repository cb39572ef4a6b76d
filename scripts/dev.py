"""`make dev`: embedded PostgreSQL (unless DATABASE_URL is set), migrate, seed, serve every function."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devkit.vercel_routes import Rewrite, load_rewrites, resolve  # noqa: E402
from lib.web.functions import load_function  # noqa: E402

DEV_ADMIN = {"ADMIN_EMAIL": "admin@launchpad.local", "ADMIN_PASSWORD": "launchpad-admin"}


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


def prepare_database(env: dict[str, str]) -> Any:
    """Point DATABASE_URL at a database (embedded if unset), migrate and seed it.

    Returns the embedded server's handle (or None): it stops when this process exits.
    """
    server = None
    if not env.get("DATABASE_URL"):
        from devkit.localdb import ensure_database, start_server

        server = start_server(ROOT / ".data" / "pg", cleanup_mode="stop")
        env["DATABASE_URL"] = ensure_database(server.get_uri(), "launchpad")
        print(f"embedded PostgreSQL: {env['DATABASE_URL']}")
    for script in ("migrate.py", "seed.py"):
        subprocess.run([sys.executable, str(ROOT / "scripts" / script)], env=env, check=True)
    return server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--skip-setup", action="store_true", help="serve only (no migrate/seed)")
    args = parser.parse_args()

    env = dict(os.environ)
    for name, value in DEV_ADMIN.items():
        env.setdefault(name, value)
    server = None if args.skip_setup else prepare_database(env)
    os.environ.update(env)

    import uvicorn

    print(f"serving every api/*.py on http://{args.host}:{args.port} (Ctrl-C stops)")
    try:
        uvicorn.run(Dispatcher(), host=args.host, port=args.port, log_level="warning", lifespan="off")
    finally:
        if server is not None:
            server.cleanup()  # stops the embedded PostgreSQL this command started
    return 0


if __name__ == "__main__":
    sys.exit(main())
