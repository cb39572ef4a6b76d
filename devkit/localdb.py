"""Start (or reuse) the embedded PostgreSQL of `make dev`/`make test` and print its URL."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def start_server(data_dir: Path, cleanup_mode: str | None = None) -> Any:
    """Start the pgserver PostgreSQL in `data_dir` (or join the running one); return the handle.

    `cleanup_mode="stop"` stops it when the last process using it exits.
    """
    from pgserver.postgres_server import get_server  # dev-only dependency, never imported by a function

    data_dir.mkdir(parents=True, exist_ok=True)
    return get_server(str(data_dir), cleanup_mode=cleanup_mode)


def ensure_server(data_dir: Path) -> str:
    """Start the embedded PostgreSQL in `data_dir` if it is not running; return its base URL."""
    uri: str = start_server(data_dir).get_uri()
    return uri


def database_url(base_url: str, name: str) -> str:
    """The URL of database `name` on the server behind `base_url` (a unix-socket URL)."""
    prefix, _, query = base_url.partition("?")
    return f"{prefix.rsplit('/', 1)[0]}/{name}?{query}"


def ensure_database(base_url: str, name: str, *, fresh: bool = False) -> str:
    """Create database `name` (dropped first when `fresh`) and return its URL."""
    import asyncio

    import asyncpg

    async def create() -> None:
        conn = await asyncpg.connect(base_url)
        try:
            if fresh:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if not exists:
                await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    return database_url(base_url, name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default=str(ROOT / ".data" / "pg"))
    parser.add_argument("--database", default="launchpad")
    args = parser.parse_args()
    base = ensure_server(Path(args.data_dir))
    print(ensure_database(base, args.database))
    return 0


if __name__ == "__main__":
    sys.exit(main())
