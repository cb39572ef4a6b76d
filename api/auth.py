"""Accounts: POST /api/auth/register, POST /api/auth/login, GET /api/auth/me."""

import asyncio
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from lib.core import ratelimit
from lib.core.errors import Conflict, Unauthorized
from lib.core.passwords import hash_password, needs_rehash, verify_password
from lib.core.tokens import create_access_token
from lib.models.users import User
from lib.schemas.users import LoginIn, RegisterIn, TokenOut, UserOut
from lib.web.app import create_app, lambda_handler
from lib.web.endpoints import Call, get, post
from lib.web.request_info import client_ip

LOGIN_FAILURES_ALLOWED = 5
LOGIN_WINDOW = timedelta(minutes=15)


def _token_response(user: User) -> TokenOut:
    token, expires_in = create_access_token(user.id, user.token_version)
    return TokenOut(user=UserOut.model_validate(user), access_token=token, expires_in=expires_in)


async def register(call: Call[RegisterIn, None]) -> TokenOut:
    body = call.body
    # Argon2 is CPU-bound: off the event loop, so concurrent requests (and their pooled
    # connections) keep moving while it runs.
    password_hash = await asyncio.to_thread(hash_password, body.password)
    # ON CONFLICT keeps concurrent sign-ups of one email to exactly one row, without an error.
    statement = (
        insert(User)
        .values(email=body.email, password_hash=password_hash, full_name=body.full_name)
        .on_conflict_do_nothing()
        .returning(User)
    )
    user = await call.db.scalar(statement)
    if user is None:
        raise Conflict("An account with this email already exists")
    call.report(actor_id=user.id, entity_id=user.id)
    return _token_response(user)


async def login(call: Call[LoginIn, None]) -> TokenOut:
    body = call.body
    bucket = f"login:{body.email}:{client_ip(call.request)}"
    call.report(email=body.email)
    # Committed before the check, so it survives this request's rollback and concurrent guesses
    # cannot all pass one count; a successful login resets the bucket below.
    await ratelimit.acquire(bucket, limit=LOGIN_FAILURES_ALLOWED, window=LOGIN_WINDOW)
    user = await call.db.scalar(select(User).where(func.lower(User.email) == body.email))
    valid = await asyncio.to_thread(verify_password, user.password_hash if user else None, body.password)
    if user is None or not valid or not user.is_active:
        if user is not None:
            call.report(actor_id=user.id, entity_id=user.id)
        raise Unauthorized("Invalid email or password")
    await ratelimit.reset(call.db, bucket)
    if needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(hash_password, body.password)
    call.report(actor_id=user.id, entity_id=user.id)
    return _token_response(user)


async def me(call: Call[None, None]) -> UserOut:
    return UserOut.model_validate(call.me)


ENDPOINTS = [
    post(
        "/api/auth/register",
        register,
        transaction=False,
        auth="public",
        response=TokenOut,
        entity="user",
        errors=(409, 422),
        summary="Create an account",
    ),
    post(
        "/api/auth/login",
        login,
        auth="public",
        response=TokenOut,
        status=200,
        entity="user",
        errors=(401, 422, 429),
        summary="Log in",
    ),
    get("/api/auth/me", me, response=UserOut, summary="The current user"),
]

app = create_app(ENDPOINTS)
__getattr__ = lambda_handler(app)  # `handler` for AWS Lambda, built on first use
