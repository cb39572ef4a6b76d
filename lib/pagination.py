"""Keyset pagination, newest first: one opaque cursor format and one query helper for every list."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from sqlalchemy import Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from lib.errors import field_error


def encode_cursor(created_at: datetime, row_id: int) -> str:
    raw = json.dumps([created_at.isoformat(), row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (created_at, id) a cursor points after; a cursor we did not make is a 422."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created_at, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        parsed = datetime.fromisoformat(created_at)
        # An id outside bigint would reach SQL as an overflow (a 500), not as a bad cursor.
        if type(row_id) is not int or not 0 < row_id < 2**63 or parsed.tzinfo is None:
            raise ValueError
        return parsed, row_id
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        raise field_error(["query", "cursor"], "Invalid cursor") from None


async def paginate(
    db: AsyncSession, statement: Select[Any], model: Any, *, limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    """Run `statement` newest first from `cursor`; return one page and the next page's cursor."""
    order = (model.created_at.desc(), model.id.desc())
    if cursor:
        created_at, row_id = decode_cursor(cursor)
        statement = statement.where(tuple_(model.created_at, model.id) < (created_at, row_id))
    rows = list((await db.scalars(statement.order_by(*order).limit(limit + 1))).all())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].created_at, rows[-1].id)
