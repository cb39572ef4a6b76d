"""Notifications: written by the very statement that makes the change they tell of, and mailed via the outbox.

A change (`UPDATE ... RETURNING` or `INSERT ... RETURNING`) becomes the first CTE of one statement;
each `Notice` adds an `INSERT INTO notifications` reading the changed row, and an `INSERT INTO outbox`
for the recipients who keep email on. One statement is one round trip, atomic with its cause, and
still the single write of a `transaction=False` route: no change without its notification, no
notification (or mail) for a change that did not happen (a 409 or 404 updates no row).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from sqlalchemy import ColumnElement, Select, String, func, literal, select, true
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.dml import ReturningInsert, ReturningUpdate

from lib.models.statuses import NotificationKind
from lib.models.users import User

RowT = TypeVar("RowT")
TITLE_MAX = 200  # the column
FIELDS = ["user_id", "kind", "title", "body", "entity_type", "entity_id"]
MAIL_FIELDS = [
    "user_id",
    "recipient",
    "template",
    "subject",
    "text_body",
    "html_body",
    "message_id",
    "dedup_key",
]


@dataclass(frozen=True)
class Notice:
    """One notification of the changed row: to its owner, or to every active admin."""

    kind: NotificationKind
    to: Literal["owner", "admins"]
    title: str
    body: str
    entity_type: str
    # The row it is about, when that is not the changed row (a payment event about an order).
    entity_id: int | None = None


def _recipients(notice: Notice, changed: Any, actor_id: int | None) -> Select[Any]:
    """(user_id, entity_id) of everyone `notice` reaches; nobody is told of their own action."""
    entity_id = changed.c.id if notice.entity_id is None else literal(notice.entity_id)
    if notice.to == "owner":
        statement = select(changed.c.user_id.label("user_id"), entity_id.label("entity_id"))
        if actor_id is not None:
            statement = statement.where(changed.c.user_id != actor_id)
        return statement
    statement = (
        select(User.id.label("user_id"), entity_id.label("entity_id"))
        .select_from(changed)
        .join(User, true())
        .where(User.is_admin.is_(True), User.is_active.is_(True))
    )
    if actor_id is not None:
        statement = statement.where(User.id != actor_id)
    return statement


def _text(value: str) -> ColumnElement[str]:
    return literal(value, String)


def _ctes(notice: Notice, index: int, changed: Any, actor_id: int | None) -> tuple[Any, Any]:
    """The notifications CTE and the outbox CTE of one notice."""
    # Late imports (`python -X importtime`): both tables and the mail templates, about 10 ms of a cold
    # start, only for a change that notifies; a function's reads import this module but never need them.
    from lib.mail.links import frontend_link
    from lib.mail.render import render
    from lib.models.notifications import Notification
    from lib.models.outbox import OutboxMessage

    recipients = _recipients(notice, changed, actor_id).cte(f"recipients_{index}")
    title = notice.title[:TITLE_MAX]
    notified = (
        postgresql.insert(Notification)
        .from_select(
            FIELDS,
            select(
                recipients.c.user_id,
                _text(notice.kind),
                _text(title),
                _text(notice.body),
                _text(notice.entity_type),
                recipients.c.entity_id,
            ),
        )
        .returning(Notification.id, Notification.user_id)
        .cte(f"notified_{index}")
    )
    # Rendered once: the notification mail names no recipient, so every copy is the same text.
    mail = render(
        "notification", {"title": title, "body": notice.body, "link": frontend_link("/notifications")}
    )
    message_id = func.concat("<", func.replace(func.gen_random_uuid().cast(String), "-", ""), "@launchpad>")
    mailed = (
        postgresql.insert(OutboxMessage)
        .from_select(
            MAIL_FIELDS,
            select(
                notified.c.user_id,
                User.email,
                _text("notification"),
                _text(mail.subject),
                _text(mail.text),
                _text(mail.html),
                message_id,
                func.concat("notification:", notified.c.id),
            )
            .join_from(notified, User, User.id == notified.c.user_id)
            .where(User.email_notifications.is_(True), User.is_active.is_(True)),
        )
        .on_conflict_do_nothing(index_elements=[OutboxMessage.dedup_key])
        .returning(OutboxMessage.id)
        .cte(f"mailed_{index}")
    )
    return notified, mailed


def unsent(mail_id: int) -> None:
    """Where no sender is given, the mail waits in the outbox for the cron."""


async def write_notifying(
    db: AsyncSession,
    change: ReturningInsert[Any] | ReturningUpdate[Any],
    model: type[RowT],
    notices: Sequence[Notice],
    *,
    actor_id: int | None,
    send_mail: Callable[[int], None] = unsent,
) -> RowT | None:
    """Run `change` (an INSERT or UPDATE of `model` returning the row) and its notices as one statement.

    The changed row, or None when the statement changed none; the outbox id of each mail it queued
    goes to `send_mail` (a handler passes `call.send_after_commit`: sent once the request commits).
    """
    if not notices:
        row: RowT | None = await db.scalar(change.execution_options(populate_existing=True))
        return row
    changed = change.cte("changed")
    ctes: list[Any] = []
    mail_ids: list[Any] = []
    for index, notice in enumerate(notices):
        notified, mailed = _ctes(notice, index, changed, actor_id)
        ctes += [notified, mailed]
        mail_ids.append(select(func.array_agg(mailed.c.id)).scalar_subquery())
    statement = (
        select(aliased(model, changed), *mail_ids)
        .add_cte(*ctes)
        # A row this session loaded earlier must show the change.
        .execution_options(populate_existing=True)
    )
    result = (await db.execute(statement)).first()
    if result is None:
        return None
    for ids in result[1:]:
        for mail_id in ids or ():
            send_mail(mail_id)
    written: RowT = result[0]
    return written


async def insert_notifying(
    db: AsyncSession,
    model: type[RowT],
    values: dict[str, Any],
    notices: Sequence[Notice],
    *,
    actor_id: int,
    send_mail: Callable[[int], None] = unsent,
) -> RowT:
    """Insert one `model` row from `values` with its notices, in one statement; the new row."""
    change = postgresql.insert(model).values(**values).returning(model)
    row = await write_notifying(db, change, model, notices, actor_id=actor_id, send_mail=send_mail)
    assert row is not None  # an INSERT ... RETURNING of one row always returns it
    return row
