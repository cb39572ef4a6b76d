"""The one ownership check: a user sees only their own rows, an admin sees all; else 404."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from lib.core.errors import NotFound
from lib.models.users import User

RowT = TypeVar("RowT")


def label(model: Any) -> str:
    """A human name for a model in messages: `Project`, `Admin request`, `Synopsis`."""
    return re.sub(r"(?<!^)([A-Z])", r" \1", model.__name__).capitalize()


def visible(model: Any, user: User, *, admin_sees_all: bool = True) -> list[ColumnElement[bool]]:
    """Conditions limiting `model` to rows `user` may see (soft-deleted rows are never visible)."""
    conditions: list[ColumnElement[bool]] = []
    if not (admin_sees_all and user.is_admin):
        conditions.append(model.user_id == user.id)
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
