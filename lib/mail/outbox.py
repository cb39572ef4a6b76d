"""enqueue(): one email written into the caller's unit of work, so it commits or rolls back with its cause.

The message is rendered here, at enqueue: a template changed by a later deploy never alters what is
already queued, and the retry path sends exactly the bytes decided at the time. Nothing is sent here;
the request sends it after its commit (`call.send_after_commit(id)`, lib/mail/delivery.deliver) and
the cron retries what that could not send (deliver_due).
"""

from __future__ import annotations

import uuid

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

DEDUP_KEY_MAX = 200
RECIPIENT_MAX = 254


def new_message_id() -> str:
    """A Message-ID that stays the message's through every retry: `<uuid@launchpad>`."""
    return f"<{uuid.uuid4().hex}@launchpad>"


def _check(to: str, dedup_key: str) -> None:
    if not to or len(to) > RECIPIENT_MAX or "@" not in to or any(c in to for c in "\r\n,;<>\0"):
        raise ValueError("enqueue: `to` must be one plain email address")
    if not dedup_key or len(dedup_key) > DEDUP_KEY_MAX or any(c in dedup_key for c in "\r\n\0"):
        raise ValueError(f"enqueue: `dedup_key` must be 1-{DEDUP_KEY_MAX} characters on one line")


async def enqueue(
    db: AsyncSession,
    *,
    to: str,
    template: str,
    context: dict[str, str],
    dedup_key: str,
    user_id: int | None = None,
) -> int | None:
    """Queue one message in `db`'s unit of work; its outbox id, or None when `dedup_key` is already queued.

    `dedup_key` names the cause (`"verify:<user>:<token id>"`): the same cause never mails twice,
    and it is the Idempotency-Key Resend deduplicates on. One writing statement, in the caller's
    transaction (so not on a `transaction=False` route, whose single write this would be a second).
    Pass the id to `call.send_after_commit` to send it as soon as the request has committed.
    """
    # Late imports (`python -X importtime`): the outbox table and the templates, about 8 ms of a cold
    # start, only when a mail is queued; api/auth.py imports this module for its writes, not for /me.
    from lib.mail.render import render
    from lib.models.outbox import OutboxMessage

    _check(to, dedup_key)
    rendered = render(template, context)
    statement = (
        insert(OutboxMessage)
        .values(
            user_id=user_id,
            recipient=to,
            template=template,
            subject=rendered.subject,
            text_body=rendered.text,
            html_body=rendered.html,
            message_id=new_message_id(),
            dedup_key=dedup_key,
        )
        .on_conflict_do_nothing(index_elements=[OutboxMessage.dedup_key])
        .returning(OutboxMessage.id)
    )
    new_id: int | None = (await db.execute(statement)).scalar_one_or_none()
    return new_id
