"""Who is calling: the bearer token or cron secret, checked as a route's `auth` mode requires."""

from __future__ import annotations

import hmac
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from lib.core import config
from lib.core.errors import EmailNotVerified, Forbidden, Unauthorized
from lib.core.rows import core_rows, instance_of, model_columns
from lib.core.tokens import decode_access_token
from lib.models.users import User

if TYPE_CHECKING:
    from lib.web.endpoints import CallerRead


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def authenticate(db: AsyncSession, request: Request, mode: str, *, write: bool = True) -> User | None:
    """The caller as the endpoint's `auth` mode requires: optional, user, admin or cron.

    For a write the user is the session's own object (a handler may change and flush it); for a
    read (`write=False`) it is built from a Core row and belongs to no session.
    """
    token = bearer_token(request)
    if mode == "cron":
        secret = config.get_settings().cron_secret
        if not secret or not token or not hmac.compare_digest(token.encode(), secret.encode()):
            raise Unauthorized("A valid cron secret is required")
        return None
    if token is None and mode == "optional":
        return None
    user_id, version = bearer_claims(request)
    user = await db.get(User, user_id) if write else await _read_user(db, user_id)
    return _checked(user, version, mode, request)


def bearer_claims(request: Request) -> tuple[int, int]:
    """The user id and token version of the request's bearer token; 401 without a valid one."""
    token = bearer_token(request)
    if token is None:
        raise Unauthorized()
    return decode_access_token(token)


async def authenticate_reading(
    db: AsyncSession,
    request: Request,
    mode: str,
    claims: tuple[int, int],
    reads: CallerRead,
    built: tuple[Select[Any], dict[str, Any]],
) -> tuple[User, Any]:
    """`authenticate` (user or admin mode; `claims` from `bearer_claims`) and `reads` in one statement,
    `built` (`reads.with_caller`'s): the caller and what was read.

    What was read is returned only to a caller who passed: a revoked token never sees it.
    """
    statement, values = built
    user_id, version = claims
    caller, read = reads.split(await core_rows(db, statement, {**values, "user_id": user_id}))
    return _checked(instance_of(User, caller) if caller else None, version, mode, request), read


def _checked(user: User | None, version: int, mode: str, request: Request) -> User:
    """The user behind a valid token, if they may use this route; else 401 or 403."""
    # The version is compared on the row read anyway: revoking every token (logout, a new password,
    # deactivation, demotion, deletion) is one increment and costs no round trip here.
    if user is None or not user.is_active or user.token_version != version:
        raise Unauthorized("Invalid access token")
    if mode == "admin" and not user.is_admin:
        raise Forbidden("Admin access required")
    if not user.email_verified and _needs_verified_email(request):
        raise EmailNotVerified()
    return user


@cache
def _user_by_id() -> Select[Any]:
    # Built once per process: a fixed statement's cache key is computed once, not per request.
    return select(*model_columns(User)).where(User.id == bindparam("user_id"))


async def _read_user(db: AsyncSession, user_id: int) -> User | None:
    """User `user_id` without the ORM's load (identity map, instance state): a read only reads it."""
    rows = await core_rows(db, _user_by_id(), {"user_id": user_id})
    user: User | None = instance_of(User, rows[0]) if rows else None
    return user


def _needs_verified_email(request: Request) -> bool:
    """With REQUIRE_VERIFIED_EMAIL on, every write route except the accounts' own (/api/auth/*)."""
    endpoint = getattr(request.state, "endpoint", None)
    return (
        config.get_settings().require_verified_email
        and endpoint is not None
        and endpoint.is_write
        and not endpoint.path.startswith("/api/auth/")
    )
