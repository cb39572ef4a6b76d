"""The one ownership check: a user sees only their own rows, an admin sees all; else 404."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Label, Select, and_, bindparam, not_, or_, select, true, union_all
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
    conditions += _matches(model, fields)
    return newest_first_bound(select(*columns).where(*conditions), model, after_cursor=after_cursor)


def _matches(model: Any, fields: tuple[str, ...]) -> list[ColumnElement[bool]]:
    """Each of `fields` equal to its bind parameter `match_<field>` (`_page_params` gives the values)."""
    return [
        getattr(model, name) == bindparam(f"match_{name}", type_=getattr(model, name).type) for name in fields
    ]


def _chosen(query: Any, fields: tuple[str, ...]) -> tuple[str, ...]:
    """The `fields` this query sets: they pick the statement's shape."""
    return tuple(name for name in fields if getattr(query, name) is not None)


def _page_params(query: Any, chosen: tuple[str, ...]) -> dict[str, Any]:
    """The values of a page statement's limit, cursor and `match_<field>` parameters for `query`."""
    return keyset_params(query) | {f"match_{name}": getattr(query, name) for name in chosen}


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
    chosen = _chosen(query, fields)
    statement = _visible_list(model, out, sees_all, chosen, bool(query.cursor))
    if statement is None:
        built = matching(
            select(model).where(*visible(model, user, admin_sees_all=admin_sees_all)), model, query, *fields
        )
        return await page_of(db, built, model, out, query)
    params = _page_params(query, chosen)
    if not sees_all:
        params["owner_id"] = user.id
    return page_from_rows(out, await core_rows(db, statement, params), query.limit)


# A read with its caller selects the caller's user columns and, beside them, the route's rows as
# `row_<field>` (NULL in the one row a LEFT JOIN gives when there is none to see).
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

    def with_caller(self, params: dict[str, Any], query: Any) -> tuple[Select[Any], dict[str, Any]] | None:
        """The statement reading the caller and row `{id}`, and its values; None: no such read."""
        statement = _row_with_caller(self.model, self.out, self.admin_sees_all)
        return None if statement is None else (statement, {"row_id": params["id"]})

    def split(self, rows: list[dict[str, Any]]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """`with_caller`'s rows as the caller's columns (None: no such user) and the row (None: unseen)."""
        return _split(rows[0]) if rows else (None, None)

    async def read(self, call: Call[Any, Any]) -> OutT:
        """The row the runner read with the caller, else (no such read) `read_owned`'s; 404 if unseen."""
        row_id = call.params["id"]
        if not call.preread_done:
            return await read_owned(
                call.db, self.model, row_id, call.me, self.out, admin_sees_all=self.admin_sees_all
            )
        if call.preread is None:
            raise not_found(self.model, row_id)
        return self.out.model_validate(call.preread)


@dataclass(frozen=True)
class VisibleList(Generic[OutT]):
    """A list route's page (`visible_page`'s, narrowed to `fields`), fetched with the caller.

    Declared on the route (`get(..., reads=...)`): one statement looks up the caller and reads the
    page, so a list costs one round trip. Who sees what is decided in SQL from the caller's row:
    a user's own rows, or, for an admin when `admin_sees_all`, everyone's; each of the two is its
    own branch behind a one-time filter on `users.is_admin`, so only the caller's runs, on its own
    index. A query that sets one of `unless` (the full-text search) is read by the handler instead.
    """

    model: Any
    out: type[OutT]
    fields: tuple[str, ...] = ()
    admin_sees_all: bool = True
    unless: tuple[str, ...] = ()

    def with_caller(self, params: dict[str, Any], query: Any) -> tuple[Select[Any], dict[str, Any]] | None:
        """The statement reading the caller and the page `query` asks for, its values; None: no such read."""
        if any(getattr(query, name) for name in self.unless):
            return None
        chosen = _chosen(query, self.fields)
        statement = _page_with_caller(self.model, self.out, self.admin_sees_all, chosen, bool(query.cursor))
        return None if statement is None else (statement, _page_params(query, chosen))

    def split(self, rows: list[dict[str, Any]]) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """`with_caller`'s rows as the caller's columns (None: no such user) and the page's rows."""
        caller: dict[str, Any] | None = None
        page: list[dict[str, Any]] = []
        for row in rows:
            caller, seen = _split(row)
            if seen is not None:
                page.append(seen)
        return caller, page

    async def page(self, call: Call[Any, Any]) -> Page[OutT]:
        """The page the runner read with the caller, else (no such read) `visible_page`'s."""
        if not call.preread_done:
            return await visible_page(
                call.db,
                self.model,
                self.out,
                call.me,
                call.query,
                *self.fields,
                admin_sees_all=self.admin_sees_all,
            )
        return page_from_rows(self.out, call.preread, call.query.limit)


def _with_caller(
    found: Any, columns: Sequence[ColumnElement[Any]], joined: Any, on: ColumnElement[bool]
) -> Select[Any]:
    """The caller's user row (by `user_id`) LEFT JOIN `joined`: `columns` (`row_…`), `found` NULL if none."""
    # A LEFT JOIN: the caller's row comes back whether or not there is a row for them to see.
    return (
        select(*model_columns(User), *columns, found.label(_FOUND))
        .select_from(User)
        .outerjoin(joined, on)
        .where(User.id == bindparam("user_id"))
    )


@cache
def _row_with_caller(model: Any, out: type[BaseModel], admin_sees_all: bool) -> Select[Any] | None:
    columns = out_columns(model, out)
    if columns is None:
        return None
    mine = model.user_id == User.id
    seen = _visible_if(model, or_(mine, User.is_admin) if admin_sees_all else mine)
    # out_columns follows `out`'s fields: each its column, relabelled beside the caller's.
    labelled = [
        _base(column).label(ROW_PREFIX + name) for name, column in zip(out.model_fields, columns, strict=True)
    ]
    return _with_caller(model.id, labelled, model, and_(model.id == bindparam("row_id"), *seen))


@cache
def _page_with_caller(
    model: Any, out: type[BaseModel], admin_sees_all: bool, fields: tuple[str, ...], after_cursor: bool
) -> Select[Any] | None:
    """`VisibleList`'s statement for one shape (which filters, past a cursor?), built once."""
    columns = paged_columns(model, out)
    if columns is None:
        return None
    matches = _matches(model, fields)

    def branch(owner: ColumnElement[bool] | None, gate: Any) -> Select[Any]:
        conditions = [*_visible_if(model, owner), *matches, *([] if gate is None else [gate])]
        return newest_first_bound(select(*columns).where(*conditions), model, after_cursor=after_cursor)

    # The caller's id as the bound value, not `users.id`: the same number (the outer row is that
    # user's), but a value the planner can estimate, so it picks the owner's own index for a user
    # with many rows (through the join it would plan for an average user: one of 3 rows).
    mine = model.user_id == bindparam("user_id", type_=model.user_id.type)
    if admin_sees_all:
        # Two branches, each behind a one-time filter on the caller's row: only one of them runs.
        pages: Any = union_all(branch(mine, not_(User.is_admin)), branch(None, User.is_admin))
    else:
        pages = branch(mine, None)
    page = pages.subquery("page").lateral("page")
    labelled = [page.c[name].label(ROW_PREFIX + name) for name in out.model_fields]
    statement = _with_caller(page.c.id, labelled, page, true())
    return statement.order_by(page.c.created_at.desc(), page.c.id.desc())


def _base(column: ColumnElement[Any]) -> ColumnElement[Any]:
    return column.element if isinstance(column, Label) else column


def _split(row: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """One row of a read with its caller: the caller's columns, and the route's row (None if NULL)."""
    caller: dict[str, Any] = {}
    seen: dict[str, Any] = {}
    for key, value in row.items():
        if key.startswith(ROW_PREFIX):
            seen[key[len(ROW_PREFIX) :]] = value
        else:
            caller[key] = value
    return caller, (seen if seen.pop(_FOUND[len(ROW_PREFIX) :]) is not None else None)
