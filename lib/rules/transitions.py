"""Status machines: a transition is one conditional UPDATE, so two racing requests cannot both win."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from lib.core.errors import Conflict
from lib.models.users import User
from lib.rules.ownership import get_owned, label, owned


async def transition(
    db: AsyncSession,
    model: Any,
    row_id: int,
    user: User,
    *,
    allowed_from: tuple[str, ...],
    to: str,
    values: dict[str, Any] | None = None,
    admin_sees_all: bool = True,
) -> Any:
    """Move row `row_id` to status `to` if it is in one of `allowed_from`; 404 unseen, 409 otherwise."""
    statement = (
        update(model)
        .where(*owned(model, row_id, user, admin_sees_all=admin_sees_all), model.status.in_(allowed_from))
        .values(status=to, **(values or {}))
        .returning(model)
        # populate_existing: a row this session loaded earlier must show the new status.
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    row = await db.scalar(statement)
    if row is not None:
        return row
    current = await get_owned(db, model, row_id, user, admin_sees_all=admin_sees_all)  # 404 if unseen
    raise Conflict(f"Cannot move {label(model).lower()} {row_id} from {current.status} to {to}")
