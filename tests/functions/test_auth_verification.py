"""Accounts: email verification (the link register mails, 48 hours), resending it, REQUIRE_VERIFIED_EMAIL."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from devkit.smtp_server import SmtpServer
from lib.core.db import session
from tests.functions.accounts_support import (
    account_tokens,
    arrived,
    bearer,
    link_token,
    mail_server,
    outbox,
    token_of,
    use_settings,
    user_row,
)
from tests.functions.auth_support import PASSWORD
from tests.support import Account, assert_error


@pytest.fixture
def smtp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    with mail_server(tmp_path / "mail", monkeypatch) as server:
        yield server


async def verify(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/api/auth/verify-email", json={"token": token})


async def test_register_mails_a_link_that_verifies_the_address(
    client: httpx.AsyncClient, smtp: SmtpServer
) -> None:
    response = await client.post(
        "/api/auth/register", json={"email": "carol@example.com", "password": PASSWORD, "full_name": "Carol"}
    )
    assert response.status_code == 201, response.text
    user = response.json()["user"]
    assert user["email_verified"] is False

    [mail] = await arrived(smtp, 1)
    assert mail.recipients == ("carol@example.com",)
    assert mail.message["Subject"] == "Confirm your email address for Launchpad"
    assert "Hello Carol," in mail.text and "valid for 48 hours" in mail.text
    token = link_token(mail, "/verify-email")
    [row] = await account_tokens(user["id"])
    assert row.purpose == "email_verification"
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert 47 * 3600 < (row.expires_at - row.created_at).total_seconds() <= 48 * 3600

    verified = await verify(client, token)
    assert verified.status_code == 200, verified.text
    assert verified.json()["id"] == user["id"] and verified.json()["email_verified"] is True
    assert (await user_row(user["id"])).email_verified_at is not None
    me = await client.get("/api/auth/me", headers=bearer(response.json()["access_token"]))
    assert me.json()["email_verified"] is True  # the access token stays valid
    assert_error(await verify(client, token), 400, "invalid_token")  # used up


async def test_a_failed_registration_mails_nothing(client: httpx.AsyncClient, alice: Account) -> None:
    body = {"email": alice.email, "password": PASSWORD, "full_name": "Impostor"}
    assert_error(await client.post("/api/auth/register", json=body), 409, "conflict")
    assert await outbox() == []


async def test_unknown_and_expired_verification_tokens_are_400(client: httpx.AsyncClient) -> None:
    assert_error(await verify(client, "not-a-real-token"), 400, "invalid_token")
    response = await client.post(
        "/api/auth/register", json={"email": "dan@example.com", "password": PASSWORD, "full_name": "Dan"}
    )
    [message] = await outbox("verify_email")
    async with session() as db:
        await db.execute(text("UPDATE account_tokens SET expires_at = now() - interval '1 second'"))
    assert_error(await verify(client, token_of(message)), 400, "invalid_token")
    assert (await user_row(response.json()["user"]["id"])).email_verified_at is None
    # A token must look like one: anything else is refused by the schema.
    assert_error(await verify(client, "has spaces in it"), 422, "validation_error")


async def test_resend_voids_the_older_link(client: httpx.AsyncClient, alice: Account) -> None:
    first = await client.post("/api/auth/verify-email/resend", headers=alice.headers)
    assert first.status_code == 202 and first.json() == {"status": "accepted"}
    second = await client.post("/api/auth/verify-email/resend", headers=alice.headers)
    assert second.status_code == 202
    older, newer = (token_of(m) for m in await outbox("verify_email", alice.email))
    assert_error(await verify(client, older), 400, "invalid_token")
    assert (await verify(client, newer)).json()["email_verified"] is True
    # Verified: a resend answers the same and mails nothing.
    assert (await client.post("/api/auth/verify-email/resend", headers=alice.headers)).status_code == 202
    assert len(await outbox("verify_email")) == 2


async def test_resends_are_limited_per_user(client: httpx.AsyncClient, alice: Account, bob: Account) -> None:
    for _ in range(5):
        assert (await client.post("/api/auth/verify-email/resend", headers=alice.headers)).status_code == 202
    refused = await client.post("/api/auth/verify-email/resend", headers=alice.headers)
    assert_error(refused, 429, "rate_limited")
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    assert len(await outbox("verify_email", alice.email)) == 5
    assert (await client.post("/api/auth/verify-email/resend", headers=bob.headers)).status_code == 202
    assert_error(await client.post("/api/auth/verify-email/resend"), 401, "unauthorized")


# --- REQUIRE_VERIFIED_EMAIL ----------------------------------------------------------------------------


async def test_unverified_writes_are_403_when_required_and_allowed_after_verifying(
    client: httpx.AsyncClient, alice: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = {"title": "Smart farm", "category": "iot"}
    # Off (the default): an unverified account writes as before.
    assert (await client.post("/api/projects", json=project, headers=alice.headers)).status_code == 201

    use_settings(monkeypatch, require_verified_email=True)
    refused = await client.post("/api/projects", json=project, headers=alice.headers)
    error = assert_error(refused, 403, "email_not_verified")
    assert "email" in error["message"].lower()
    # Reads and the accounts' own routes stay open: the user can still get verified.
    assert (await client.get("/api/projects", headers=alice.headers)).status_code == 200
    assert (
        await client.patch("/api/auth/me", json={"college": "IIT"}, headers=alice.headers)
    ).status_code == 200
    assert (await client.post("/api/auth/verify-email/resend", headers=alice.headers)).status_code == 202
    [message] = await outbox("verify_email", alice.email)

    assert (await verify(client, token_of(message))).status_code == 200
    assert (await client.post("/api/projects", json=project, headers=alice.headers)).status_code == 201


async def test_required_verification_applies_to_admins_too(
    client: httpx.AsyncClient, admin: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_settings(monkeypatch, require_verified_email=True)
    plan = {"name": "Pro", "price_cents": 100}
    assert_error(await client.post("/api/plans", json=plan, headers=admin.headers), 403, "email_not_verified")
    async with session() as db:
        await db.execute(text("UPDATE users SET email_verified_at = now() WHERE id = :id"), {"id": admin.id})
    assert (await client.post("/api/plans", json=plan, headers=admin.headers)).status_code == 201
