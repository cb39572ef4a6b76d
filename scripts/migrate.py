"""Deploy hook: migrate the database to head over the direct URL, under an advisory lock."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from lib.core.config import migration_url
from lib.core.db import is_database_unavailable
from lib.core.db_url import database_target

ROOT = Path(__file__).resolve().parent.parent
# Any constant works as long as every deploy uses the same one ("launchp" in ASCII).
MIGRATION_LOCK_KEY = 0x6C61756E636870


def alembic_config() -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["configure_logging"] = False
    return config


def head_revision(config: Config) -> str | None:
    return ScriptDirectory.from_config(config).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def connect_with_retry(url: str, wait_seconds: float) -> tuple[AsyncConnection, object]:
    """Connect, retrying with backoff while the database (a suspended Neon compute) wakes up."""
    target = database_target(url, pooler="off")
    engine = create_async_engine(
        target.url, connect_args=target.connect_args, poolclass=NullPool, hide_parameters=True
    )
    deadline = time.monotonic() + wait_seconds
    delay = 0.5
    attempt = 1
    while True:
        try:
            return await engine.connect(), engine
        except Exception as error:
            if not is_database_unavailable(error) or time.monotonic() + delay > deadline:
                await engine.dispose()
                raise
            print(
                f"database not reachable yet ({type(error).__name__}); retry {attempt} in {delay:.1f}s",
                file=sys.stderr,
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
            attempt += 1


async def migrate(url: str, *, check_only: bool, wait_seconds: float, revision: str = "head") -> int:
    config = alembic_config()
    head = head_revision(config)
    connection, engine = await connect_with_retry(url, wait_seconds)
    try:
        if check_only:
            before = await connection.run_sync(current_revision)
            behind = before != head
            print(f"database at {before or 'base'}, code at {head}: {'BEHIND' if behind else 'up to date'}")
            return 1 if behind else 0
        # Session-level lock: a second deploy waits here until the first has finished.
        await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        await connection.commit()
        try:
            before = await connection.run_sync(current_revision)
            await connection.commit()
            print(f"revision before: {before or 'base'}")

            def upgrade(sync_connection: Connection) -> None:
                config.attributes["connection"] = sync_connection
                command.upgrade(config, revision)

            await connection.run_sync(upgrade)
            await connection.commit()
            after = await connection.run_sync(current_revision)
            await connection.commit()
        finally:
            await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
            await connection.commit()
        print(f"revision after: {after or 'base'}")
        return 0
    finally:
        await connection.close()
        await engine.dispose()  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 when the database is behind the code")
    parser.add_argument("--sql", action="store_true", help="print the upgrade SQL instead of running it")
    parser.add_argument(
        "--wait", type=float, default=60.0, help="seconds to keep retrying a sleeping database"
    )
    parser.add_argument("--revision", default="head", help="target revision (default: head)")
    args = parser.parse_args(argv)

    if args.sql:
        command.upgrade(alembic_config(), args.revision, sql=True)
        return 0
    url = migration_url()
    if not url:
        print("Set DATABASE_URL_UNPOOLED (Neon's direct URL) or DATABASE_URL.", file=sys.stderr)
        return 2
    try:
        return asyncio.run(
            migrate(url, check_only=args.check, wait_seconds=args.wait, revision=args.revision)
        )
    except Exception as error:
        print(f"migration failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
