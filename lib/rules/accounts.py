"""Account rules: login limits, passwords checked like logins, revoking tokens, new passwords, the admins."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lib.core import passwords, ratelimit
from lib.core.db import release
from lib.core.errors import Conflict, Unauthorized
from lib.models.users import User
from lib.rules import account_tokens

# Failed logins (and wrong current passwords) in LOGIN_WINDOW: per email and client IP; per account
# whatever the IP (an attacker rotating addresses); per IP whatever the account (password spraying;
# high, since a campus shares one address).
LOGIN_FAILURES_ALLOWED = 5
LOGIN_FAILURES_PER_ACCOUNT = 10
LOGIN_FAILURES_PER_IP = 50
LOGIN_WINDOW = timedelta(minutes=15)
# Registrations per client IP (each costs an Argon2 hash); a class signing up together fits.
REGISTRATIONS_PER_IP = 20
REGISTRATION_WINDOW = timedelta(hours=1)
# Verification mails a signed-in user may ask for.
RESENDS_PER_USER = 5
RESEND_WINDOW = timedelta(hours=1)
# pg_advisory_xact_lock key serialising every change that can take an active admin away.
ADMINS_LOCK = 0x4C61756E6368  # "Launch"


def login_bucket(email: str, ip: str | None) -> str:
    return f"login:{email}:{ip}"


def _login_limits(email: str, ip: str | None) -> dict[str, int]:
    limits = {
        login_bucket(email, ip): LOGIN_FAILURES_ALLOWED,
        f"login-account:{email}": LOGIN_FAILURES_PER_ACCOUNT,
    }
    if ip is not None:
        limits[f"login-ip:{ip}"] = LOGIN_FAILURES_PER_IP
    return limits


async def count_login_attempt(email: str, ip: str | None) -> list[int]:
    """Count one attempt in every login limit (one committed transaction); 429 if any is full.

    Counted before the outcome is known, so concurrent guesses cannot all pass one count.
    """
    return await ratelimit.acquire_all(_login_limits(email, ip), window=LOGIN_WINDOW)


async def login_succeeded(db: AsyncSession, email: str, ip: str | None, hits: list[int]) -> None:
    """The password was right: this email's failures are forgiven, here and from every IP; the IP's
    count keeps other accounts' failures (one's own account must not wash a sprayer's IP clean)."""
    await ratelimit.refund(db, hits)
    for bucket in list(_login_limits(email, ip))[:2]:
        await ratelimit.reset(db, bucket)


async def limit_registrations(ip: str | None) -> None:
    """Count one registration attempt of `ip` (committed on its own, before the hash); 429 at the limit."""
    await ratelimit.acquire(f"register:ip:{ip}", limit=REGISTRATIONS_PER_IP, window=REGISTRATION_WINDOW)


async def limit_resends(db: AsyncSession, user_id: int) -> None:
    await ratelimit.hit(db, f"verify:user:{user_id}", limit=RESENDS_PER_USER, window=RESEND_WINDOW)


async def check_password(db: AsyncSession, user: User, password: str, ip: str | None) -> None:
    """The caller's own password, checked as a login is: counted in their login bucket, 401 if wrong.

    The request's connection goes back to the pool first: the count commits on a connection of its
    own (it must survive this request's rollback), and one request never holds two.
    """
    await release(db)
    hits = await count_login_attempt(user.email, ip)
    if not await passwords.verified(user.password_hash, password):
        raise Unauthorized("Wrong password")
    await login_succeeded(db, user.email, ip, hits)


async def revoke_tokens(db: AsyncSession, user_id: int, **values: Any) -> User:
    """Bump token_version (every access token issued so far stops working), with other changes."""
    statement = (
        update(User)
        .where(User.id == user_id)
        .values(token_version=User.token_version + 1, **values)
        .returning(User)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    user: User = (await db.scalars(statement)).one()
    return user


async def set_password(db: AsyncSession, user_id: int, password: str, **values: Any) -> User:
    """A new password: every access token and every reset link issued before stops working."""
    password_hash = await passwords.hashed(password)
    user = await revoke_tokens(db, user_id, password_hash=password_hash, **values)
    await account_tokens.void(db, user_id, "password_reset")
    return user


# --- admins -----------------------------------------------------------------------------------------


async def ensure_other_admins(db: AsyncSession, user_id: int) -> None:
    """409 unless an active admin other than `user_id` remains; holds the admins lock until commit.

    Every change that can take an active admin away takes the lock first, so two admins demoting
    each other at once cannot both pass this count.
    """
    await db.execute(select(func.pg_advisory_xact_lock(ADMINS_LOCK)))
    others = await db.scalar(select(func.count()).where(User.is_admin, User.is_active, User.id != user_id))
    if not others:
        raise Conflict("The last active admin cannot be deactivated, demoted or deleted")


async def update_by_admin(db: AsyncSession, me: User, user_id: int, changes: dict[str, bool]) -> User | None:
    """An admin's change of `is_active`/`is_admin`; None if there is no such user.

    Deactivation and demotion revoke the user's tokens at once; nobody deactivates or demotes
    themselves, and the last active admin stays.
    """
    removing = changes.get("is_active") is False or changes.get("is_admin") is False
    if removing and user_id == me.id:
        raise Conflict("You cannot deactivate or demote yourself")
    if removing:
        await ensure_other_admins(db, user_id)
    target = await db.get(User, user_id, populate_existing=True)
    if target is None or not changes:
        return target
    active, admin = changes.get("is_active", target.is_active), changes.get("is_admin", target.is_admin)
    if (target.is_active and not active) or (target.is_admin and not admin):
        user = await revoke_tokens(db, user_id, is_active=active, is_admin=admin)
        if not active:
            await account_tokens.void(db, user_id)
        return user
    target.is_active, target.is_admin = active, admin
    await db.flush()
    return target
