"""Passwords (Argon2), access tokens (JWT, HS256 only), and the current-user / admin guards."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from lib.config import get_settings
from lib.errors import Forbidden, Unauthorized
from lib.models.users import User

ISSUER = "launchpad-api"
ALGORITHM = "HS256"


@lru_cache(maxsize=1)
def _hasher() -> Any:
    # Imported on first use: a request that only checks a token never loads argon2.
    from argon2 import PasswordHasher

    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Verified against when the email is unknown, so both paths cost one Argon2 verification.
    return _hasher().hash("launchpad-timing-equaliser")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant-time check; an unknown user (`None`) costs the same as a wrong password."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with older Argon2 parameters than the current ones."""
    return _hasher().check_needs_rehash(password_hash)


def create_access_token(user_id: int, now: datetime | None = None) -> tuple[str, int]:
    """A signed access token for `user_id` and its lifetime in seconds."""
    settings = get_settings()
    issued = now or datetime.now(UTC)
    lifetime = settings.access_token_minutes * 60
    claims = {
        "sub": str(user_id),
        "iat": int(issued.timestamp()),
        "exp": int((issued + timedelta(seconds=lifetime)).timestamp()),
        "iss": ISSUER,
    }
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM), lifetime


def decode_access_token(token: str) -> int:
    """The user id a valid token names; anything else (alg none, tampered, expired) is 401."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            get_settings().secret_key,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["sub", "iat", "exp", "iss"]},
        )
        user_id = int(claims["sub"])
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Access token has expired") from None
    except (jwt.InvalidTokenError, ValueError, TypeError):
        raise Unauthorized("Invalid access token") from None
    if user_id <= 0 or user_id >= 2**63:
        raise Unauthorized("Invalid access token")
    return user_id


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def authenticate(db: AsyncSession, request: Request, mode: str) -> User | None:
    """The caller as the endpoint's `auth` mode requires: optional, user, admin or cron."""
    token = bearer_token(request)
    if mode == "cron":
        secret = get_settings().cron_secret
        if not secret or not token or not hmac.compare_digest(token.encode(), secret.encode()):
            raise Unauthorized("A valid cron secret is required")
        return None
    if token is None:
        if mode == "optional":
            return None
        raise Unauthorized()
    user = await db.get(User, decode_access_token(token))
    if user is None or not user.is_active:
        raise Unauthorized("Invalid access token")
    if mode == "admin" and not user.is_admin:
        raise Forbidden("Admin access required")
    return user
