"""Sending the outbox: right after a request commits (`deliver`) and on the retry path (`deliver_due`).

Each message is *claimed* before it is sent: one UPDATE bumps its attempts and moves its
next_attempt_at out by an exponential backoff, so no other sender (a second cron, a retry of the
request) picks it up meanwhile, and a sender that dies mid-send leaves it to be retried once the
backoff has passed. No database connection is held while the mail server is talked to: claim
(one statement, released), send, then mark (one statement). Delivery is at least once: a message
whose send timed out after the server took it may be sent again; its Message-ID stays the same
(and Resend deduplicates it by the Idempotency-Key).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select, update

from lib.core import config
from lib.core.db import session
from lib.core.log import get_logger, redact
from lib.mail.backends import Outgoing, PermanentFailure, send
from lib.models.outbox import OutboxMessage

log = get_logger("mail")

# The first retry waits a minute, then each twice as long (1, 2, 4 ... min), at most six hours.
# The first wait is also the claim's lease: far longer than one send may take (SEND_TIMEOUT).
BACKOFF_BASE_SECONDS = 60
BACKOFF_MAX_SECONDS = 6 * 3600
SEND_TIMEOUT = 15.0  # one message's conversation with the mail server, at most
CLAIM_BATCH = 10
ERROR_MAX = 500  # the last_error column


@dataclass(frozen=True)
class DeliveryResult:
    sent: int
    retrying: int  # failed this time, to be tried again
    failed: int  # given up on: permanent refusal or EMAIL_MAX_ATTEMPTS reached
    remaining: int  # pending and due when the run ended


def _backoff() -> Any:
    """next_attempt_at after a claim: now + base * 2^(attempts - 1), capped (in SQL, on the new count)."""
    seconds = func.least(BACKOFF_BASE_SECONDS * func.power(2, OutboxMessage.attempts), BACKOFF_MAX_SECONDS)
    return func.now() + func.make_interval(0, 0, 0, 0, 0, 0, seconds)


_RETURNED = (
    OutboxMessage.id,
    OutboxMessage.message_id,
    OutboxMessage.dedup_key,
    OutboxMessage.recipient,
    OutboxMessage.subject,
    OutboxMessage.text_body,
    OutboxMessage.html_body,
    OutboxMessage.attempts,
)


def _outgoing(row: Any) -> tuple[Outgoing, int]:
    message = Outgoing(
        id=row.id,
        message_id=row.message_id,
        dedup_key=row.dedup_key,
        recipient=row.recipient,
        subject=row.subject,
        text=row.text_body,
        html=row.html_body,
    )
    return message, row.attempts


async def _claim_ids(ids: list[int]) -> list[tuple[Outgoing, int]]:
    """Claim these rows if they are still pending and due (another sender may have them)."""
    statement = (
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(ids),
            OutboxMessage.status == "pending",
            OutboxMessage.next_attempt_at <= func.now(),
        )
        .values(attempts=OutboxMessage.attempts + 1, next_attempt_at=_backoff())
        .returning(*_RETURNED)
        .execution_options(synchronize_session=False)
    )
    async with session(autocommit=True) as db:
        return [_outgoing(row) for row in await db.execute(statement)]


async def _claim_due(limit: int) -> list[tuple[Outgoing, int]]:
    """Claim up to `limit` due rows, oldest due first, skipping rows another sender is claiming."""
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= func.now())
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due))
        .values(attempts=OutboxMessage.attempts + 1, next_attempt_at=_backoff())
        .returning(*_RETURNED)
        .execution_options(synchronize_session=False)
    )
    async with session(autocommit=True) as db:
        return sorted((_outgoing(row) for row in await db.execute(statement)), key=lambda m: m[0].id)


async def _unclaim(ids: list[int]) -> None:
    """Hand back claimed rows that were never tried (the run ran out of time): due again, no attempt spent."""
    if not ids:
        return
    async with session(autocommit=True) as db:
        await db.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.status == "pending")
            .values(attempts=OutboxMessage.attempts - 1, next_attempt_at=func.now())
            .execution_options(synchronize_session=False)
        )


def describe(error: BaseException) -> str:
    """What last_error and the log say about a failure: its class and a short, redacted message."""
    message = " ".join(str(error).split())[:300]
    described: str = redact(f"{type(error).__name__}: {message}" if message else type(error).__name__)
    return described[:ERROR_MAX]


# Mails that carry a single-use link: once delivered (or given up on) their bodies are replaced, so
# no row keeps a working token any longer than the send needs (account_tokens holds only a hash).
SINGLE_USE_LINK_TEMPLATES = ("password_reset", "verify_email")
REMOVED = "[removed once the message left: it carried a single-use link]"


def _scrubbed() -> dict[str, Any]:
    """Body values for a finished message: removed for the single-use-link templates, else unchanged."""
    secret = OutboxMessage.template.in_(SINGLE_USE_LINK_TEMPLATES)
    return {
        "text_body": case((secret, REMOVED), else_=OutboxMessage.text_body),
        "html_body": case((secret, REMOVED), else_=OutboxMessage.html_body),
    }


async def _mark_sent(message_id: int) -> None:
    async with session(autocommit=True) as db:
        await db.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(status="sent", sent_at=func.now(), last_error=None, **_scrubbed())
            .execution_options(synchronize_session=False)
        )


async def _mark_failed(message_id: int, error: str, *, give_up: bool) -> None:
    values: dict[str, Any] = {"last_error": error}
    if give_up:
        values |= {"status": "failed", **_scrubbed()}
    async with session(autocommit=True) as db:
        await db.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending")
            .values(**values)
            .execution_options(synchronize_session=False)
        )


async def _send_one(message: Outgoing, attempts: int, timeout: float) -> str:
    """Send one claimed message within `timeout` and record the outcome: sent, retrying or failed."""
    settings = config.get_settings()  # through the module, so tests can swap the settings
    try:
        async with asyncio.timeout(timeout):
            await send(
                message,
                target=settings.email_target,
                sender=settings.email_from,
                timeout=min(timeout, SEND_TIMEOUT),
            )
    except Exception as error:
        give_up = isinstance(error, PermanentFailure) or attempts >= settings.email_max_attempts
        described = describe(error)
        log.warning(
            "mail_send_failed",
            outbox_id=message.id,
            attempts=attempts,
            gave_up=give_up,
            error=described,
        )
        await _mark_failed(message.id, described, give_up=give_up)
        return "failed" if give_up else "retrying"
    await _mark_sent(message.id)
    log.info("mail_sent", outbox_id=message.id, attempts=attempts)
    return "sent"


async def deliver(ids: list[int], *, budget_seconds: float) -> None:
    """Send these pending messages now, all within `budget_seconds`; what does not fit stays pending.

    For a request that has just committed them: the person waits for this, so a slow or absent
    mail server costs them at most the budget, and the retry path (`deliver_due`) sends the rest.
    A message sent successfully is always marked, even when that lands just past the budget.
    """
    deadline = time.monotonic() + budget_seconds
    for message_id in dict.fromkeys(ids):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            async with asyncio.timeout(remaining):
                claimed = await _claim_ids([message_id])
        except TimeoutError:
            break
        for message, attempts in claimed:
            await _send_one(message, attempts, max(deadline - time.monotonic(), 0.01))


async def deliver_due(*, limit: int, deadline: float) -> DeliveryResult:
    """The retry path: send up to `limit` due messages, starting none after `deadline` (time.monotonic()).

    Two runs at once never send one message twice: each claims with `FOR UPDATE SKIP LOCKED` and
    moves next_attempt_at before sending, so the other neither waits for nor sees those rows.
    """
    counts = {"sent": 0, "retrying": 0, "failed": 0}
    handled = 0
    while handled < limit and time.monotonic() < deadline:
        batch = await _claim_due(min(CLAIM_BATCH, limit - handled))
        if not batch:
            break
        for index, (message, attempts) in enumerate(batch):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                await _unclaim([m.id for m, _ in batch[index:]])
                break
            counts[await _send_one(message, attempts, min(remaining, SEND_TIMEOUT))] += 1
            handled += 1
    async with session(autocommit=True) as db:
        remaining_due = await db.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= func.now())
        )
    return DeliveryResult(remaining=int(remaining_due or 0), **counts)
