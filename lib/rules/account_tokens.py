"""Single-use links mailed to a user: password reset (30 min) and email verification (48 h).

The token is `secrets.token_urlsafe(32)` and exists only in the mail; the table keeps its SHA-256.
One live link per user and purpose: issuing upserts the (user, purpose) row, so the older link's
hash is gone and it stops working. Using a link is one conditional UPDATE, so of two concurrent
uses of one link exactly one wins.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, literal, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from lib.core.errors import InvalidToken
from lib.models.account_tokens import AccountToken
from lib.models.statuses import AccountTokenPurpose
from lib.models.users import User

LIFETIMES: dict[AccountTokenPurpose, timedelta] = {
    "password_reset": timedelta(minutes=30),
    "email_verification": timedelta(hours=48),
}


@dataclass(frozen=True)
class Issued:
    """A link just issued: the token for the mail (never stored), its hash, and who it is for."""

    token: str
    token_hash: str
    user_id: int
    email: str
    full_name: str

    @property
    def dedup_key(self) -> str:
        """The outbox key of this link's mail: one mail per link (a hash prefix is no usable secret)."""
        return f"{self.user_id}:{self.token_hash[:16]}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _upsert(purpose: AccountTokenPurpose, token_hash: str, users: Any) -> Any:
    """INSERT … SELECT for the users `users` selects, replacing their live link of this purpose."""
    lifetime = func.make_interval(0, 0, 0, 0, 0, 0, LIFETIMES[purpose].total_seconds())
    statement = insert(AccountToken).from_select(
        ["user_id", "purpose", "token_hash", "expires_at"],
        select(users.c.id, literal(purpose), literal(token_hash), func.now() + lifetime),
    )
    return statement.on_conflict_do_update(
        constraint="uq_account_tokens_user_id_purpose",
        set_={
            "token_hash": statement.excluded.token_hash,
            "expires_at": statement.excluded.expires_at,
            "used_at": None,
            "created_at": func.now(),
        },
    ).returning(AccountToken.user_id)


async def issue(
    db: AsyncSession, purpose: AccountTokenPurpose, *, user_id: int | None = None, email: str | None = None
) -> Issued | None:
    """A new link for the active user with this id (or email), voiding their older one; None if none.

    One statement whether or not the user exists, so an unknown email costs what a known one does.
    """
    token = secrets.token_urlsafe(32)
    token_hash = hash_token(token)
    condition = User.id == user_id if email is None else func.lower(User.email) == email
    users = select(User.id, User.email, User.full_name).where(condition, User.is_active).cte("target")
    issued = _upsert(purpose, token_hash, users).cte("issued")
    row = (
        await db.execute(
            select(users.c.id, users.c.email, users.c.full_name).join(issued, issued.c.user_id == users.c.id)
        )
    ).first()
    if row is None:
        return None
    return Issued(token, token_hash, row.id, row.email, row.full_name)


async def consume(db: AsyncSession, purpose: AccountTokenPurpose, token: str) -> int:
    """Use a link once: the id of its (active) user; 400 `invalid_token` if unknown, used or expired."""
    statement = (
        update(AccountToken)
        .where(
            AccountToken.token_hash == hash_token(token),
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
            AccountToken.expires_at > func.now(),
            AccountToken.user_id.in_(select(User.id).where(User.is_active)),
        )
        .values(used_at=func.now())
        .returning(AccountToken.user_id)
        .execution_options(synchronize_session=False)
    )
    user_id: int | None = await db.scalar(statement)
    if user_id is None:
        raise InvalidToken()
    return user_id


async def void(db: AsyncSession, user_id: int, purpose: AccountTokenPurpose | None = None) -> None:
    """Every live link of this user (of one purpose, or all) stops working."""
    statement = update(AccountToken).where(AccountToken.user_id == user_id, AccountToken.used_at.is_(None))
    if purpose is not None:
        statement = statement.where(AccountToken.purpose == purpose)
    await db.execute(statement.values(used_at=func.now()).execution_options(synchronize_session=False))
