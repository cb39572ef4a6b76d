"""The one ownership check: a user sees only their own rows, an admin sees all; else 404."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Label, Select, and_, bindparam, not_, or_, select, true, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from lib.core.errors import NotFound
from lib.core.pagination import (
    keyset_params,
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


# A list filter beyond a column equal to the query's value: its condition, given that value, or
# the bind parameter standing for it (`match_<field>`) in a statement built once.
Filter = Callable[[Any], ColumnElement[bool]]


def equal_to(column: Any) -> Filter:
    """The filter of a query field that names a column: that column equal to the value."""
    return lambda value: column == value


def _conditions(filters: Mapping[str, Filter], chosen: tuple[str, ...]) -> list[ColumnElement[bool]]:
    """Each `chosen` filter on its bind parameter `match_<field>` (`_page_params` gives the values)."""
    return [filters[name](bindparam(f"match_{name}")) for name in chosen]


def _chosen(query: Any, filters: Mapping[str, Filter]) -> tuple[str, ...]:
    """The filters this query sets: they pick the statement's shape."""
    return tuple(name for name in filters if getattr(query, name) is not None)


def _page_params(query: Any, chosen: tuple[str, ...]) -> dict[str, Any]:
    """The values of a page statement's limit, cursor and `match_<field>` parameters for `query`."""
    return keyset_params(query) | {f"match_{name}": getattr(query, name) for name in chosen}


# Who a list statement is for: a user already looked up, an admin (everyone's rows), or a caller it
# looks up itself (`VisibleList.with_caller`).
Reader = Literal["user", "admin", "with caller"]


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


@dataclass(frozen=True, eq=False)
class VisibleList(Generic[OutT]):
    """A list route's page of the `model` rows the caller may see, narrowed by the query.

    Who sees what: a user their own rows, an admin everyone's when `admin_sees_all` (soft-deleted
    rows never, nor any `always` excludes). The query narrows it: each of `fields` equal to its
    column, each of `filters` by its own condition.

    Declared on the route (`get(..., reads=...)`): one statement looks up the caller and reads the
    page, so a list costs one round trip. Who sees what is decided in SQL from the caller's row:
    each of the two is its own branch behind a one-time filter on `users.is_admin`, so only the
    caller's runs, on its own index. A query that sets one of `unless` (the full-text search) is
    read by the handler instead. Every statement is built once per shape (which filters are set,
    past a cursor or not) and every value is a bind parameter, so a request builds nothing: the
    statement, its cache key and its compiled form are the process's.
    """

    model: Any
    out: type[OutT]
    fields: tuple[str, ...] = ()
    admin_sees_all: bool = True
    unless: tuple[str, ...] = ()
    filters: Mapping[str, Filter] = field(default_factory=dict)
    always: tuple[ColumnElement[bool], ...] = ()
    # Every filter the query may set, by field: `fields` (equal to their column), then `filters`.
    narrowing: dict[str, Filter] = field(init=False, repr=False)
    _statements: dict[tuple[Any, ...], Select[Any] | None] = field(
        default_factory=dict, init=False, repr=False
    )

    def __post_init__(self) -> None:
        equal = {name: equal_to(getattr(self.model, name)) for name in self.fields}
        object.__setattr__(self, "narrowing", equal | dict(self.filters))

    def with_caller(self, params: dict[str, Any], query: Any) -> tuple[Select[Any], dict[str, Any]] | None:
        """The statement reading the caller and the page `query` asks for, its values; None: no such read."""
        if any(getattr(query, name) for name in self.unless):
            return None
        chosen = _chosen(query, self.narrowing)
        statement = self._statement("with caller", chosen, bool(query.cursor))
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
        """The page the runner read with the caller, else (no such read) `own_page`'s."""
        if not call.preread_done:
            return await self.own_page(call.db, call.me, call.query)
        return page_from_rows(self.out, call.preread, call.query.limit)

    async def own_page(self, db: AsyncSession, user: User, query: Any) -> Page[OutT]:
        """The page of `user` (already looked up) for `query`: the same page `with_caller` reads."""
        sees_all = self.admin_sees_all and user.is_admin
        chosen = _chosen(query, self.narrowing)
        statement = self._statement("admin" if sees_all else "user", chosen, bool(query.cursor))
        if statement is None:  # `out` is not columns of a page: ORM objects, narrowed by value
            conditions = [*visible(self.model, user, admin_sees_all=self.admin_sees_all), *self.always]
            conditions += [self.narrowing[name](getattr(query, name)) for name in chosen]
            return await page_of(db, select(self.model).where(*conditions), self.model, self.out, query)
        params = _page_params(query, chosen)
        if not sees_all:
            params["owner_id"] = user.id
        return page_from_rows(self.out, await core_rows(db, statement, params), query.limit)

    def _statement(self, reader: Reader, chosen: tuple[str, ...], after_cursor: bool) -> Select[Any] | None:
        """The statement for one shape, built on its first use (None: `out` is not a page's columns)."""
        key = (reader, chosen, after_cursor)
        if key not in self._statements:
            self._statements[key] = self._build(reader, chosen, after_cursor)
        return self._statements[key]

    def _build(self, reader: Reader, chosen: tuple[str, ...], after_cursor: bool) -> Select[Any] | None:
        columns = paged_columns(self.model, self.out)
        if columns is None:
            return None
        model = self.model
        narrowed = [*self.always, *_conditions(self.narrowing, chosen)]

        def branch(owner: ColumnElement[bool] | None, gate: Any = None) -> Select[Any]:
            conditions = [*_visible_if(model, owner), *narrowed, *([] if gate is None else [gate])]
            return newest_first_bound(select(*columns).where(*conditions), model, after_cursor=after_cursor)

        if reader == "admin":
            return branch(None)
        if reader == "user":
            return branch(model.user_id == bindparam("owner_id", type_=model.id.type))
        # The caller's id as the bound value, not `users.id`: the same number (the outer row is that
        # user's), but a value the planner can estimate, so it picks the owner's own index for a
        # user with many rows (through the join it would plan for an average user: one of 3 rows).
        mine = model.user_id == bindparam("user_id", type_=model.user_id.type)
        if self.admin_sees_all:
            # Two branches, each behind a one-time filter on the caller's row: only one of them runs.
            pages: Any = union_all(branch(mine, not_(User.is_admin)), branch(None, User.is_admin))
        else:
            pages = branch(mine)
        page = pages.subquery("page").lateral("page")
        labelled = [page.c[name].label(ROW_PREFIX + name) for name in self.out.model_fields]
        statement = _with_caller(page.c.id, labelled, page, true())
        return statement.order_by(page.c.created_at.desc(), page.c.id.desc())


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
