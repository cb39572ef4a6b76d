"""The account mail (links from FRONTEND_URL's first origin), and the reset request that reveals nothing.

Template context keys: `verify_email` name, link, expires_hours; `password_reset` name, link,
expires_minutes; `password_changed` name, link (to the reset page, no token); `account_deleted` name.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from lib.core import config, ratelimit
from lib.core.db import release
from lib.core.log import get_logger, redact
from lib.mail.links import frontend_link
from lib.mail.outbox import enqueue
from lib.models.statuses import AccountTokenPurpose
from lib.models.users import User
from lib.rules import account_tokens
from lib.rules.account_tokens import LIFETIMES, Issued

# Reset requests per email, and per IP (higher: a college's students may share one address).
RESETS_PER_EMAIL = 5
RESETS_PER_IP = 20
RESET_WINDOW = timedelta(hours=1)
# A reset request is answered no sooner than this, known email or not: sending the mail (after the
# commit, while the person waits) would otherwise tell the two apart by time. It covers a typical
# send to a mail provider; a slower send shows through, and register's 409 tells as much anyway.
RESET_ANSWER_SECONDS = 1.0

log = get_logger("accounts")


async def mail_reset_link(db: AsyncSession, issued: Issued) -> int | None:
    minutes = int(LIFETIMES["password_reset"].total_seconds() // 60)
    return await enqueue(
        db,
        to=issued.email,
        template="password_reset",
        context={
            "name": issued.full_name,
            "link": frontend_link("/reset-password", token=issued.token),
            "expires_minutes": str(minutes),
        },
        dedup_key=f"password_reset:{issued.dedup_key}",
        user_id=issued.user_id,
    )


async def mail_verification_link(db: AsyncSession, issued: Issued) -> int | None:
    hours = int(LIFETIMES["email_verification"].total_seconds() // 3600)
    return await enqueue(
        db,
        to=issued.email,
        template="verify_email",
        context={
            "name": issued.full_name,
            "link": frontend_link("/verify-email", token=issued.token),
            "expires_hours": str(hours),
        },
        dedup_key=f"verify_email:{issued.dedup_key}",
        user_id=issued.user_id,
    )


async def send_link(
    db: AsyncSession, purpose: AccountTokenPurpose, *, user_id: int | None = None, email: str | None = None
) -> int | None:
    """Issue a new link of `purpose` (voiding the older one) and queue its mail: the outbox id, or None
    when there is no such active user (or the mail is already queued)."""
    issued = await account_tokens.issue(db, purpose, user_id=user_id, email=email)
    if issued is None:
        return None
    mail = mail_reset_link if purpose == "password_reset" else mail_verification_link
    return await mail(db, issued)


async def mail_password_changed(db: AsyncSession, user: User) -> int | None:
    return await enqueue(
        db,
        to=user.email,
        template="password_changed",
        context={"name": user.full_name, "link": frontend_link("/reset-password")},
        dedup_key=f"password_changed:{user.id}:{user.token_version}",
        user_id=user.id,
    )


async def mail_account_deleted(db: AsyncSession, user: User) -> int | None:
    """Sent to the address the account had (the row is anonymised right after, in the same unit of work)."""
    return await enqueue(
        db,
        to=user.email,
        template="account_deleted",
        context={"name": user.full_name},
        dedup_key=f"account_deleted:{user.id}",
        user_id=user.id,
    )


async def request_reset(db: AsyncSession, email: str, ip: str | None) -> int | None:
    """Mail a reset link if `email` has an active account; the user's id (None otherwise).

    Whichever it is, the same work in the same order: both limits counted, one upsert statement,
    the commit, then the answer held until RESET_ANSWER_SECONDS after the start. The mail is sent
    here (not after the runner's commit) so that the hold covers the send too.
    """
    started = time.monotonic()
    await ratelimit.acquire(f"reset:ip:{ip}", limit=RESETS_PER_IP, window=RESET_WINDOW)
    await ratelimit.acquire(f"reset:email:{email}", limit=RESETS_PER_EMAIL, window=RESET_WINDOW)
    issued = await account_tokens.issue(db, "password_reset", email=email)  # the id is returned too
    mail_id = await mail_reset_link(db, issued) if issued is not None else None
    await release(db)  # committed: the link and its mail exist before anything is sent
    if mail_id is not None:
        # Late, as in the runner: only requests that send mail load the delivery code.
        from lib.mail.delivery import deliver

        try:
            await deliver([mail_id], budget_seconds=config.get_settings().email_send_budget_seconds)
        except Exception as error:  # the row stays pending: the cron sends it
            log.warning(
                "reset_mail_failed", outbox_id=mail_id, error=redact(f"{type(error).__name__}: {error}")
            )
    await asyncio.sleep(max(0.0, started + RESET_ANSWER_SECONDS - time.monotonic()))
    return issued.user_id if issued is not None else None
