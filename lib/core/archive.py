"""Moving old rows from a hot table to its archive: batched, resumable, never losing a row."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, text

from lib.core.db import session

OLDER_THAN = "now() - make_interval(days => :days)"


@dataclass(frozen=True)
class ArchiveResult:
    moved: int
    remaining: int
    batches: int


def _columns(model: Any) -> str:
    return ", ".join(column.name for column in model.__table__.columns)


def move_statement(live: Any, archive: Any) -> Any:
    """One batch as one statement: the DELETE and the INSERT commit or fail together.

    No ON CONFLICT: an id already in the archive must fail the batch (nothing deleted), never
    silently drop the row the DELETE just removed.
    """
    columns = _columns(live)
    table = live.__tablename__
    return text(f"""
        WITH doomed AS (
            SELECT id FROM {table}
            WHERE created_at < {OLDER_THAN}
            ORDER BY created_at, id
            LIMIT :batch
            FOR UPDATE SKIP LOCKED
        ), moved AS (
            DELETE FROM {table} WHERE id IN (SELECT id FROM doomed) RETURNING {columns}
        )
        INSERT INTO {archive.__tablename__} ({columns})
        SELECT {columns} FROM moved""")


async def archive_older_than(
    live: Any, archive: Any, *, days: int, batch_size: int, deadline: float
) -> ArchiveResult:
    """Move rows older than `days` in batches until none are left or `deadline` (monotonic) nears."""
    statement = move_statement(live, archive)
    moved = batches = 0
    while time.monotonic() < deadline:
        async with session() as db:
            result = cast(CursorResult[Any], await db.execute(statement, {"days": days, "batch": batch_size}))
            count = result.rowcount
        moved += count
        batches += 1
        if count < batch_size:
            break
    async with session() as db:
        remaining = await db.scalar(
            text(f"SELECT count(*) FROM {live.__tablename__} WHERE created_at < {OLDER_THAN}"), {"days": days}
        )
    return ArchiveResult(moved=moved, remaining=int(remaining or 0), batches=batches)
