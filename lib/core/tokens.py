"""Access tokens: JWTs signed with HS256 only, every claim required and checked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from lib.core.config import get_settings
from lib.core.errors import Unauthorized
from lib.core.limits import MAX_DB_ID

ISSUER = "launchpad-api"
ALGORITHM = "HS256"


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
    if not 0 < user_id <= MAX_DB_ID:
        raise Unauthorized("Invalid access token")
    return user_id
