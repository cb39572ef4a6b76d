"""The activity log: one function that records who did what, redacted, never failing the request."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import bindparam, insert
from sqlalchemy.ext.asyncio import AsyncSession

from lib.core.db import session
from lib.core.limits import without_nul
from lib.core.log import get_logger, redact
from lib.core.rows import core_rows
from lib.models.activity_logs import ActivityLog

log = get_logger("activity")

# Text taken from request headers as they came (the client's address, its user agent).
_CLIENT_TEXT = ("ip_address", "user_agent")
_LIMITS = {
    "action": 100,
    "entity_type": 50,
    "entity_id": 64,
    "ip_address": 64,
    "user_agent": 500,
    "method": 10,
    "path": 500,
    "request_id": 128,
    "error_message": 2000,
}
_METADATA = ("ip_address", "user_agent", "method", "path", "duration_ms", "request_id", "error_message")
_COLUMNS = ("user_id", "action", "entity_type", "entity_id", "status", "details", *_METADATA)
# Built once, every value a bind parameter: a row is sent as asyncpg's own INSERT of a statement
# compiled once per process (lib/core/rows.py), not an ORM insert built, keyed and coerced per
# request (three quarters of what writing the row cost in Python).
_INSERT = insert(ActivityLog).values(
    {name: bindparam(name, type_=ActivityLog.__table__.c[name].type) for name in _COLUMNS}
)


def _row(
    *,
    user_id: int | None,
    action: str,
    entity_type: str | None = None,
    entity_id: Any = None,
    details: dict[str, Any] | None = None,
    status: str = "success",
    **metadata: Any,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "user_id": user_id,
        "action": action,
        "entity_type": entity_type,
        "entity_id": None if entity_id is None else str(entity_id),
        "status": status,
        "details": without_nul(redact(details)) if details else None,
        **{name: metadata.get(name) for name in _METADATA},
    }
    for name in _CLIENT_TEXT:
        if isinstance(row.get(name), str):
            row[name] = printable(row[name])
    for name, limit in _LIMITS.items():
        if isinstance(row.get(name), str):
            # Postgres rejects NUL in text; a log row must never fail on what a client sent.
            row[name] = without_nul(row[name])[:limit]
    return row


def printable(text: str) -> str:
    """`text` with every control or other unprintable character written as `\\xNN`/`\\uNNNN`.

    Headers are attacker text: a terminal escape or a line break in a stored user agent must not
    act when an admin reads the table in psql, a log or a CSV, only show.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


async def log_activity(
    db: AsyncSession,
    *,
    user_id: int | None,
    action: str,
    entity_type: str | None = None,
    entity_id: Any = None,
    details: dict[str, Any] | None = None,
    status: str = "success",
    **metadata: Any,
) -> None:
    """Add one activity row through `db`; a row that cannot be written is logged, never raised."""
    try:
        row = _row(
            user_id=user_id,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            details=details,
            status=status,
            **metadata,
        )
        json.dumps(row["details"])  # refuse what JSONB cannot hold before it reaches SQL
        await core_rows(db, _INSERT, row)
    except Exception as error:
        log.error("activity_log_failed", action=action, error=type(error).__name__)


async def record(**fields: Any) -> None:
    """Write an activity row on its own, after the request's transaction committed or rolled back.

    A single INSERT is atomic by itself, so it runs without BEGIN/COMMIT (one round trip), and a
    failure here never undoes or fails the user's request.
    """
    try:
        async with session(autocommit=True) as db:
            await log_activity(db, **fields)
    except Exception as error:  # e.g. the database went away between the write and its log row
        log.error("activity_log_failed", action=fields.get("action"), error=type(error).__name__)
