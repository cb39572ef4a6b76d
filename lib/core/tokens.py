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
MAX_TOKEN_VERSION = 2**31 - 1  # users.token_version is an integer column


def create_access_token(user_id: int, version: int = 0, now: datetime | None = None) -> tuple[str, int]:
    """A signed access token for `user_id` at its `token_version`, and its lifetime in seconds."""
    settings = get_settings()
    issued = now or datetime.now(UTC)
    lifetime = settings.access_token_minutes * 60
    claims = {
        "sub": str(user_id),
        "iat": int(issued.timestamp()),
        "exp": int((issued + timedelta(seconds=lifetime)).timestamp()),
        "iss": ISSUER,
        "ver": version,
    }
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM), lifetime


# Tokens already verified, by (signing key, token): (user id, version, iat, exp). A warm function
# sees the same few tokens again and again; checking the signature and every claim once, then
# only the two time claims, saves pyjwt's pure-Python work on every later request.
_verified: dict[tuple[str, str], tuple[int, int, int, int]] = {}
_VERIFIED_MAX = 1024


def decode_access_token(token: str) -> tuple[int, int]:
    """The user id and token version a valid token names; anything else (alg none, tampered, expired,
    no `ver`) is 401. The caller compares the version with the user's `token_version`."""
    secret = get_settings().secret_key
    known = _verified.get((secret, token))
    if known is not None:
        user_id, version, issued, expires = known
        # The claims pyjwt checks against the clock, in its order; nothing else changes with time.
        now = datetime.now(UTC).timestamp()
        if issued > now:
            raise Unauthorized("Invalid access token")
        if expires <= now:
            raise Unauthorized("Access token has expired")
        return user_id, version
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["sub", "iat", "exp", "iss", "ver"]},
        )
        user_id = int(claims["sub"])
        version = claims["ver"]
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Access token has expired") from None
    except (jwt.InvalidTokenError, ValueError, TypeError):
        raise Unauthorized("Invalid access token") from None
    if not 0 < user_id <= MAX_DB_ID or type(version) is not int or not 0 <= version <= MAX_TOKEN_VERSION:
        raise Unauthorized("Invalid access token")
    if "nbf" not in claims:  # ours never carry one; a token that does is checked in full every time
        if len(_verified) >= _VERIFIED_MAX:
            _verified.clear()
        _verified[(secret, token)] = (user_id, version, int(claims["iat"]), int(claims["exp"]))
    return user_id, version
