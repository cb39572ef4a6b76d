"""Accounts: register, login, the profile, passwords, email verification, logout, export, deletion."""

import lib.startup  # noqa: F401  (first: no garbage collection while this function loads)

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from lib.core import passwords
from lib.core.db import release
from lib.core.errors import Conflict, Unauthorized
from lib.core.passwords import needs_rehash
from lib.core.tokens import create_access_token
from lib.models.users import User
from lib.rules import account_mail, account_tokens, accounts
from lib.schemas.users import (
    AcceptedOut,
    ChangePasswordIn,
    DeleteAccountIn,
    LoginIn,
    PasswordResetConfirmIn,
    PasswordResetIn,
    ProfileUpdate,
    RegisterIn,
    TokenOut,
    UserOut,
    VerifyEmailIn,
)
from lib.web.app import create_app, lambda_handler
from lib.web.endpoints import Call, delete, get, patch, post

if TYPE_CHECKING:
    from lib.schemas.account_export import AccountExportOut
from lib.web.request_info import client_ip


def _token_response(user: User) -> TokenOut:
    token, expires_in = create_access_token(user.id, user.token_version)
    return TokenOut(user=UserOut.model_validate(user), access_token=token, expires_in=expires_in)


async def register(call: Call[RegisterIn, None]) -> TokenOut:
    body = call.body
    # Each registration costs a 64 MiB Argon2 hash: counted per address before any is computed.
    await accounts.limit_registrations(client_ip(call.request))
    # Argon2 is CPU-bound: off the event loop, so concurrent requests (and their pooled
    # connections) keep moving while it runs.
    password_hash = await passwords.hashed(body.password)
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
    call.send_after_commit(await account_mail.send_link(call.db, "email_verification", user_id=user.id))
    # Last: a failure before this rolls the user back, and its activity row must not name them.
    call.report(actor_id=user.id, entity_id=user.id)
    return _token_response(user)


async def login(call: Call[LoginIn, None]) -> TokenOut:
    body = call.body
    ip = client_ip(call.request)
    call.report(email=body.email)
    # Committed before the check, so it survives this request's rollback and concurrent guesses
    # cannot all pass one count; a successful login takes it back below.
    hits = await accounts.count_login_attempt(body.email, ip)
    user = await call.db.scalar(select(User).where(func.lower(User.email) == body.email))
    # The pooled connection goes back while Argon2 runs (64 MiB, tens of ms): a burst of logins must
    # not hold the whole pool and stall every other request on this instance.
    await release(call.db)
    valid = await passwords.verified(user.password_hash if user else None, body.password)
    if user is None or not valid or not user.is_active:
        if user is not None:
            call.report(actor_id=user.id, entity_id=user.id)
        raise Unauthorized("Invalid email or password")
    await accounts.login_succeeded(call.db, body.email, ip, hits)
    if needs_rehash(user.password_hash):
        user.password_hash = await passwords.hashed(body.password)
    user.last_login_at = datetime.now(UTC)
    await call.db.flush()
    call.report(actor_id=user.id, entity_id=user.id)
    return _token_response(user)


async def me(call: Call[None, None]) -> UserOut:
    return UserOut.model_validate(call.me)


async def update_me(call: Call[ProfileUpdate, None]) -> UserOut:
    changes = call.body.changes()
    call.report(entity_id=call.me.id, fields=sorted(changes))
    if not changes:
        return UserOut.model_validate(call.me)
    statement = update(User).where(User.id == call.me.id).values(**changes).returning(User)
    user = await call.db.scalar(
        statement.execution_options(synchronize_session=False, populate_existing=True)
    )
    return UserOut.model_validate(user)


async def request_password_reset(call: Call[PasswordResetIn, None]) -> AcceptedOut:
    """The same answer, headers, work and time for any email: nothing tells whether it has an account."""
    user_id = await account_mail.request_reset(call.db, call.body.email, client_ip(call.request))
    if user_id is not None:
        call.report(actor_id=user_id, entity_id=user_id)
    return AcceptedOut()


async def confirm_password_reset(call: Call[PasswordResetConfirmIn, None]) -> TokenOut:
    user_id = await account_tokens.consume(call.db, "password_reset", call.body.token)
    call.report(actor_id=user_id, entity_id=user_id)
    # Opening the mailed link proved the address too.
    verified = func.coalesce(User.email_verified_at, func.now())
    user = await accounts.set_password(call.db, user_id, call.body.password, email_verified_at=verified)
    call.send_after_commit(await account_mail.mail_password_changed(call.db, user))
    return _token_response(user)


async def verify_email(call: Call[VerifyEmailIn, None]) -> UserOut:
    user_id = await account_tokens.consume(call.db, "email_verification", call.body.token)
    call.report(actor_id=user_id, entity_id=user_id)
    statement = (
        update(User)
        .where(User.id == user_id)
        .values(email_verified_at=func.coalesce(User.email_verified_at, func.now()))
        .returning(User)
    )
    return UserOut.model_validate(await call.db.scalar(statement))


async def resend_verification(call: Call[None, None]) -> AcceptedOut:
    call.report(entity_id=call.me.id)
    if call.me.email_verified:
        return AcceptedOut()  # nothing to confirm: no mail
    await accounts.limit_resends(call.db, call.me.id)
    call.send_after_commit(await account_mail.send_link(call.db, "email_verification", user_id=call.me.id))
    return AcceptedOut()


async def change_password(call: Call[ChangePasswordIn, None]) -> TokenOut:
    call.report(entity_id=call.me.id)
    await accounts.check_password(call.db, call.me, call.body.current_password, client_ip(call.request))
    user = await accounts.set_password(call.db, call.me.id, call.body.new_password)
    call.send_after_commit(await account_mail.mail_password_changed(call.db, user))
    return _token_response(user)


async def logout(call: Call[None, None]) -> None:
    call.report(entity_id=call.me.id)
    await accounts.revoke_tokens(call.db, call.me.id)


async def delete_me(call: Call[DeleteAccountIn, None]) -> None:
    call.report(entity_id=call.me.id)
    await accounts.check_password(call.db, call.me, call.body.password, client_ip(call.request))
    # Late: only a deletion loads the tables it empties (about 35 ms of models on a cold start).
    from lib.rules.account_deletion import delete_account

    call.send_after_commit(await delete_account(call.db, call.me))
    call.forget_client()  # this request's own activity row keeps no IP or user agent either


async def export_me(call: Call[None, None]) -> "AccountExportOut":
    # Late: only an export loads the table and response models of every resource (about 100 ms of a
    # cold start otherwise; its row names the response model by reference for the same reason).
    from lib.rules.account_export import export

    return await export(call.db, call.me)


ENDPOINTS = [
    post(
        "/api/auth/register",
        register,
        auth="public",
        response=TokenOut,
        entity="user",
        errors=(409, 422, 429),
        summary="Create an account (mails the first verification link)",
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
    patch(
        "/api/auth/me",
        update_me,
        transaction=False,
        response=UserOut,
        entity="user",
        errors=(422,),
        summary="Change the caller's profile",
    ),
    delete(
        "/api/auth/me",
        delete_me,
        entity="user",
        errors=(401, 409, 422, 429),
        summary="Delete the caller's account (anonymised, its tokens revoked)",
    ),
    get(
        "/api/auth/me/export",
        export_me,
        response="lib.schemas.account_export:AccountExportOut",  # loaded only by an export
        summary="Everything stored about the caller",
    ),
    post(
        "/api/auth/password-reset",
        request_password_reset,
        auth="public",
        response=AcceptedOut,
        status=202,
        entity="user",
        errors=(422, 429),
        summary="Mail a password reset link (the same answer for any email)",
    ),
    post(
        "/api/auth/password-reset/confirm",
        confirm_password_reset,
        auth="public",
        response=TokenOut,
        status=200,
        entity="user",
        errors=(400, 422),
        summary="Set a new password with a reset link's token",
    ),
    post(
        "/api/auth/verify-email",
        verify_email,
        auth="public",
        response=UserOut,
        status=200,
        entity="user",
        errors=(400, 422),
        summary="Confirm the email address with a verification link's token",
    ),
    post(
        "/api/auth/verify-email/resend",
        resend_verification,
        response=AcceptedOut,
        status=202,
        entity="user",
        errors=(429,),
        summary="Mail a new verification link",
    ),
    post(
        "/api/auth/change-password",
        change_password,
        response=TokenOut,
        status=200,
        entity="user",
        errors=(401, 422, 429),
        summary="Change the password (every other token stops working)",
    ),
    post(
        "/api/auth/logout",
        logout,
        transaction=False,
        status=204,
        entity="user",
        summary="Log out everywhere (every token issued so far stops working)",
    ),
]

app = create_app(ENDPOINTS)
__getattr__ = lambda_handler(app)  # `handler` for AWS Lambda, built on first use
