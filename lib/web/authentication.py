"""Who is calling: the bearer token or cron secret, checked as a route's `auth` mode requires."""

from __future__ import annotations

import hmac

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from lib.core.config import get_settings
from lib.core.errors import Forbidden, Unauthorized
from lib.core.tokens import decode_access_token
from lib.models.users import User


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
