"""Status machines: a transition is one conditional UPDATE, so two racing requests cannot both win."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from lib.core.errors import Conflict
from lib.models.users import User
from lib.rules.notifications import Notice, unsent, write_notifying
from lib.rules.ownership import RowT, get_owned, label, owned
from lib.rules.status_machines import StatusMachine


async def transition(
    db: AsyncSession,
    model: type[RowT],
    row_id: int,
    user: User,
    *,
    to: str,
    machine: StatusMachine | None = None,
    allowed_from: tuple[str, ...] = (),
    values: dict[str, Any] | None = None,
    admin_sees_all: bool = True,
    notices: Sequence[Notice] = (),
    send_mail: Callable[[int], None] = unsent,
) -> RowT:
    """Move row `row_id` to status `to` as `machine` allows `user` (or from one of `allowed_from`).

    404 when `user` cannot see the row, 409 when it is in a status the move does not start from.
    `notices` are written by the same statement as the move (lib/rules/notifications); their mail's
    outbox ids go to `send_mail` (a handler passes `call.send_after_commit`).
    """
    if machine is not None:
        allowed_from = machine.sources(to, admin=user.is_admin)
    table: Any = model  # a mapped class: its columns are attributes the checker cannot see on type[RowT]
    statement = (
        update(table)
        .where(*owned(table, row_id, user, admin_sees_all=admin_sees_all), table.status.in_(allowed_from))
        .values(status=to, **(values or {}))
        .returning(table)
        .execution_options(synchronize_session=False)
    )
    row = await write_notifying(db, statement, model, notices, actor_id=user.id, send_mail=send_mail)
    if row is not None:
        return row
    current: Any = await get_owned(db, model, row_id, user, admin_sees_all=admin_sees_all)  # 404 if unseen
    raise Conflict(f"Cannot move {label(model).lower()} {row_id} from {current.status} to {to}")
