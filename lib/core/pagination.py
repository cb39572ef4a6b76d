"""Keyset pagination, newest first: one opaque cursor format and one query helper for every list."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Integer, Select, bindparam, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from lib.core.errors import field_error
from lib.core.limits import is_db_id
from lib.core.rows import core_rows, out_columns
from lib.schemas.common import Page

OutT = TypeVar("OutT", bound=BaseModel)


def encode_cursor(moment: datetime, key: Any) -> str:
    """An opaque cursor for the row at (`moment`, `key`): an id, or another key such as a uuid."""
    raw = json.dumps([moment.isoformat(), key if isinstance(key, int) else str(key)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, key: Callable[[Any], Any] = int) -> tuple[datetime, Any]:
    """The (moment, key) a cursor points after; a cursor we did not make is a 422."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        moment, raw_key = json.loads(base64.urlsafe_b64decode(padded.encode()))
        parsed = datetime.fromisoformat(moment)
        if parsed.tzinfo is None:
            raise ValueError
        # In UTC here: a moment outside years 1-9999 there would overflow in asyncpg (a 500).
        parsed = parsed.astimezone(UTC)
        if key is int:
            # An id outside bigint would reach SQL as an overflow (a 500), not as a bad cursor.
            if not is_db_id(raw_key):
                raise ValueError
            return parsed, raw_key
        return parsed, key(raw_key)
    except (ValueError, TypeError, AttributeError, OverflowError, json.JSONDecodeError, UnicodeDecodeError):
        raise field_error(["query", "cursor"], "Invalid cursor") from None


def newest_first(statement: Select[Any], model: Any, *, limit: int, cursor: str | None) -> Select[Any]:
    """`statement` ordered newest first, from after `cursor`, one row over `limit` (is there more?)."""
    if cursor:
        created_at, row_id = decode_cursor(cursor)
        statement = statement.where(tuple_(model.created_at, model.id) < (created_at, row_id))
    return statement.order_by(model.created_at.desc(), model.id.desc()).limit(limit + 1)


def newest_first_bound(statement: Select[Any], model: Any, *, after_cursor: bool) -> Select[Any]:
    """`newest_first` for a statement built once: the cursor and the limit are bind parameters.

    `keyset_params` gives their values for one request's `query`.
    """
    if after_cursor:
        before = tuple_(
            bindparam("cursor_at", type_=model.created_at.type), bindparam("cursor_id", type_=model.id.type)
        )
        statement = statement.where(tuple_(model.created_at, model.id) < before)
    ordered = statement.order_by(model.created_at.desc(), model.id.desc())
    return ordered.limit(bindparam("page_limit", type_=Integer))


def keyset_params(query: Any) -> dict[str, Any]:
    """The values of `newest_first_bound`'s parameters for `query` (its limit, its cursor if any)."""
    params: dict[str, Any] = {"page_limit": query.limit + 1}
    if query.cursor:
        params["cursor_at"], params["cursor_id"] = decode_cursor(query.cursor)
    return params


async def paginate(
    db: AsyncSession, statement: Select[Any], model: Any, *, limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    """Run `statement` newest first from `cursor`; return one page and the next page's cursor."""
    rows = list((await db.scalars(newest_first(statement, model, limit=limit, cursor=cursor))).all())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].created_at, rows[-1].id)


def matching(statement: Select[Any], model: Any, query: Any, *fields: str) -> Select[Any]:
    """`statement` narrowed to rows whose column equals each of `fields` that the query sets."""
    for name in fields:
        value = getattr(query, name)
        if value is not None:
            statement = statement.where(getattr(model, name) == value)
    return statement


async def page_of(
    db: AsyncSession, statement: Select[Any], model: Any, out: type[OutT], query: Any
) -> Page[OutT]:
    """One page of `statement` (newest first, from `query.cursor`), each row as an `out` model."""
    columns = paged_columns(model, out)
    if columns is None:
        page = Page[out]  # type: ignore[valid-type]  # pydantic needs the concrete model to validate items
        rows, next_cursor = await paginate(db, statement, model, limit=query.limit, cursor=query.cursor)
        return page(items=[out.model_validate(row) for row in rows], next_cursor=next_cursor)
    # Only `out`'s columns, as Core rows: the same values as the ORM objects would give, with no
    # object loaded; the page is validated in one call.
    core = newest_first(statement.with_only_columns(*columns), model, limit=query.limit, cursor=query.cursor)
    return page_from_rows(out, await core_rows(db, core), query.limit)


def page_from_rows(out: type[OutT], rows: list[dict[str, Any]], limit: int) -> Page[OutT]:
    """A page of `out` from up to `limit + 1` Core rows, newest first (one over: there is a next page)."""
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1]["created_at"], rows[-1]["id"])
    page = Page[out]  # type: ignore[valid-type]  # pydantic needs the concrete model to validate items
    return page.model_validate({"items": rows, "next_cursor": next_cursor})


def paged_columns(model: Any, out: type[BaseModel]) -> tuple[Any, ...] | None:
    """`out`'s columns of `model` if a page of them can be Core rows (`out` shows id and created_at)."""
    columns = out_columns(model, out)
    if columns is None or not {"id", "created_at"} <= out.model_fields.keys():
        return None
    return columns
