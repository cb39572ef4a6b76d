"""The one ownership check: a user sees only their own rows, an admin sees all; else 404."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Label, Select, and_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from lib.core.errors import NotFound
from lib.core.pagination import (
    keyset_params,
    matching,
    newest_first_bound,
    page_from_rows,
    page_of,
    paged_columns,
)
from lib.core.rows import core_rows, model_columns, out_columns
from lib.models.users import User
from lib.schemas.common import Page

if TYPE_CHECKING:
    from lib.web.endpoints import Call

RowT = TypeVar("RowT")
OutT = TypeVar("OutT", bound=BaseModel)


def label(model: Any) -> str:
    """A human name for a model in messages: `Project`, `Admin request`, `Synopsis`."""
    return re.sub(r"(?<!^)([A-Z])", r" \1", model.__name__).capitalize()


def visible(model: Any, user: User, *, admin_sees_all: bool = True) -> list[ColumnElement[bool]]:
    """Conditions limiting `model` to rows `user` may see (soft-deleted rows are never visible)."""
    return _visible(model, user.id, sees_all=admin_sees_all and user.is_admin)


def _visible(model: Any, user_id: Any, *, sees_all: bool) -> list[ColumnElement[bool]]:
    # `user_id` is a value, or a bind parameter in a statement built once (`_owned_read`).
    return _visible_if(model, None if sees_all else model.user_id == user_id)


def _visible_if(model: Any, owner: ColumnElement[bool] | None) -> list[ColumnElement[bool]]:
    """`owner` (who may see the row; None: everyone) and, for soft-deleted models, not deleted."""
    conditions: list[ColumnElement[bool]] = [] if owner is None else [owner]
    if hasattr(model, "deleted_at"):
        conditions.append(model.deleted_at.is_(None))
    return conditions


def owned(model: Any, row_id: int, user: User, *, admin_sees_all: bool = True) -> list[ColumnElement[bool]]:
    """Conditions selecting row `row_id` only if `user` may see it."""
    return [model.id == row_id, *visible(model, user, admin_sees_all=admin_sees_all)]


def not_found(model: Any, row_id: Any) -> NotFound:
    # Same answer for a missing row and another user's row: nothing leaks about which it is.
    return NotFound(f"{label(model)} {row_id} not found")


async def get_owned(
    db: AsyncSession,
    model: type[RowT],
    row_id: int,
    user: User,
    *,
    admin_sees_all: bool = True,
    for_update: bool = False,
) -> RowT:
    """Row `row_id` if `user` may see it, else 404 (never 403: existence is not revealed)."""
    statement: Select[tuple[RowT]] = select(model).where(
        *owned(model, row_id, user, admin_sees_all=admin_sees_all)
    )
    if for_update:
        statement = statement.with_for_update()
    row = await db.scalar(statement)
    if row is None:
        raise not_found(model, row_id)
    return row


@cache
def _owned_read(model: Any, out: type[BaseModel], sees_all: bool) -> Select[Any] | None:
    """`get_owned`'s select as `out`'s columns, built once: row and user ids are bind parameters."""
    columns = out_columns(model, out)
    if columns is None:
        return None
    user_id = bindparam("owner_id", type_=model.id.type)
    return select(*columns).where(
        model.id == bindparam("row_id"), *_visible(model, user_id, sees_all=sees_all)
    )


async def read_owned(
    db: AsyncSession, model: Any, row_id: int, user: User, out: type[OutT], *, admin_sees_all: bool = True
) -> OutT:
    """`get_owned` for a read: row `row_id` as an `out` model, without loading an ORM object; else 404."""
    statement = _owned_read(model, out, admin_sees_all and user.is_admin)
    if statement is None:
        return out.model_validate(await get_owned(db, model, row_id, user, admin_sees_all=admin_sees_all))
    rows = await core_rows(db, statement, {"row_id": row_id, "owner_id": user.id})
    if not rows:
        raise not_found(model, row_id)
    return out.model_validate(rows[0])


@cache
def _visible_list(
    model: Any, out: type[BaseModel], sees_all: bool, fields: tuple[str, ...], after_cursor: bool
) -> Select[Any] | None:
    """`visible_page`'s select for one shape (who asks, which filters, past a cursor?), built once.

    Every value is a bind parameter, so a request builds nothing: the statement, its cache key and
    its compiled form are the process's (building the select and its key cost more than running it).
    """
    columns = paged_columns(model, out)
    if columns is None:
        return None
    conditions = _visible(model, bindparam("owner_id", type_=model.id.type), sees_all=sees_all)
    for name in fields:
        column = getattr(model, name)
        conditions.append(column == bindparam(f"match_{name}", type_=column.type))
    return newest_first_bound(select(*columns).where(*conditions), model, after_cursor=after_cursor)


async def visible_page(
    db: AsyncSession,
    model: Any,
    out: type[OutT],
    user: User,
    query: Any,
    *fields: str,
    admin_sees_all: bool = True,
) -> Page[OutT]:
    """One page of the `model` rows `user` may see, narrowed to each of `fields` the query sets.

    The same page as `page_of(select(model).where(*visible(...)), ...)` with `matching(...)`, read
    with a statement built once per shape.
    """
    sees_all = admin_sees_all and user.is_admin
    chosen = tuple(name for name in fields if getattr(query, name) is not None)
    statement = _visible_list(model, out, sees_all, chosen, bool(query.cursor))
    if statement is None:
        built = matching(
            select(model).where(*visible(model, user, admin_sees_all=admin_sees_all)), model, query, *fields
        )
        return await page_of(db, built, model, out, query)
    params = keyset_params(query) | {f"match_{name}": getattr(query, name) for name in chosen}
    if not sees_all:
        params["owner_id"] = user.id
    return page_from_rows(out, await core_rows(db, statement, params), query.limit)


# The route row's columns in `OwnedRead.with_caller`'s rows: `row_<field>`, beside the caller's own.
ROW_PREFIX = "row_"
_FOUND = ROW_PREFIX + "_found"


@dataclass(frozen=True)
class OwnedRead(Generic[OutT]):
    """A read route's row `{id}` as `out`, fetched in the statement that looks up the caller.

    Declared on the route (`get(..., reads=...)`), it saves the GET its second round trip: the
    runner authenticates with `with_caller`'s row (lib/web/authentication.py) and hands the route
    row to the handler, whose `read` answers it. The visibility rule is `read_owned`'s, in SQL.
    """

    model: Any
    out: type[OutT]
    admin_sees_all: bool = True

    def with_caller(self) -> Select[Any] | None:
        """The caller's user columns and the row's (`row_<field>`, NULL when unseen); None: no such read."""
        return _with_caller(self.model, self.out, self.admin_sees_all)

    def split(self, row: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """A `with_caller` row as the caller's columns and the route row's (None when unseen)."""
        return _split(row)

    async def read(self, call: Call[Any, Any]) -> OutT:
        """The row the runner read with the caller, else (no such read) `read_owned`'s; 404 if unseen."""
        row_id = call.params["id"]
        if not call.row_read:
            return await read_owned(
                call.db, self.model, row_id, call.me, self.out, admin_sees_all=self.admin_sees_all
            )
        if call.row is None:
            raise not_found(self.model, row_id)
        return self.out.model_validate(call.row)


@cache
def _with_caller(model: Any, out: type[BaseModel], admin_sees_all: bool) -> Select[Any] | None:
    columns = out_columns(model, out)
    if columns is None:
        return None
    mine = model.user_id == User.id
    seen = _visible_if(model, or_(mine, User.is_admin) if admin_sees_all else mine)
    # A LEFT JOIN: the caller's row comes back whether or not the route row is theirs to see.
    return (
        select(
            *model_columns(User),
            # out_columns follows `out`'s fields: each its column, relabelled beside the caller's.
            *(
                _base(column).label(ROW_PREFIX + name)
                for name, column in zip(out.model_fields, columns, strict=True)
            ),
            model.id.label(_FOUND),
        )
        .select_from(User)
        .outerjoin(model, and_(model.id == bindparam("row_id"), *seen))
        .where(User.id == bindparam("user_id"))
    )


def _base(column: ColumnElement[Any]) -> ColumnElement[Any]:
    return column.element if isinstance(column, Label) else column


def _split(row: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    caller: dict[str, Any] = {}
    seen: dict[str, Any] = {}
    for key, value in row.items():
        if key.startswith(ROW_PREFIX):
            seen[key[len(ROW_PREFIX) :]] = value
        else:
            caller[key] = value
    return caller, (seen if seen.pop(_FOUND[len(ROW_PREFIX) :]) is not None else None)
