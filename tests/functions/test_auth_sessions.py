"""Accounts: change-password (a fresh token, the others revoked, wrong passwords counted) and logout."""

from __future__ import annotations

import asyncio
import json

import httpx
from sqlalchemy import select

from lib.core.db import session
from lib.models.rate_limits import RateLimitHit
from tests.functions.accounts_support import NEW_PASSWORD, bearer, me_status, outbox, user_row
from tests.functions.auth_support import CLIENT_IP, activity_rows_as_text, assert_token_body, login
from tests.support import Account, assert_error


async def change(
    client: httpx.AsyncClient, headers: dict[str, str], current: str, new: str
) -> httpx.Response:
    body = {"current_password": current, "new_password": new}
    return await client.post("/api/auth/change-password", json=body, headers=headers)


async def login_hits(email: str) -> list[str]:
    async with session() as db:
        # The email + IP count ("login:<email>:<ip>"), not the per-account and per-IP ones.
        statement = select(RateLimitHit.bucket).where(RateLimitHit.bucket.startswith(f"login:{email}:"))
        return list(await db.scalars(statement))


async def test_change_password_gives_a_fresh_token_and_revokes_every_other(
    client: httpx.AsyncClient, alice: Account
) -> None:
    other_device = (await login(client, alice.email, alice.password)).json()["access_token"]
    response = await change(client, alice.headers, alice.password, NEW_PASSWORD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert_token_body(body, alice.email, "Alice")
    assert NEW_PASSWORD not in response.text

    assert await me_status(client, bearer(body["access_token"])) == 200
    assert_error(await client.get("/api/auth/me", headers=alice.headers), 401, "unauthorized")
    assert await me_status(client, bearer(other_device)) == 401
    assert (await login(client, alice.email, alice.password)).status_code == 401
    assert (await login(client, alice.email, NEW_PASSWORD)).status_code == 200
    assert (await user_row(alice.id)).token_version == 1

    [mail] = await outbox("password_changed", alice.email)
    assert "Hello Alice," in mail.text_body and "/reset-password" in mail.text_body
    [row] = await activity_rows_as_text("change_password")
    assert NEW_PASSWORD not in row and alice.password not in row and body["access_token"] not in row
    assert json.loads(row)["user_id"] == alice.id


async def test_a_wrong_current_password_is_401_and_changes_nothing(
    client: httpx.AsyncClient, alice: Account
) -> None:
    error = assert_error(
        await change(client, alice.headers, "not my password", NEW_PASSWORD), 401, "unauthorized"
    )
    assert "password" in error["message"].lower()
    assert await me_status(client, alice) == 200  # still signed in
    assert (await login(client, alice.email, alice.password)).status_code == 200
    assert (await user_row(alice.id)).token_version == 0
    assert await outbox("password_changed") == []


async def test_wrong_current_passwords_count_as_failed_logins(
    client: httpx.AsyncClient, alice: Account
) -> None:
    for attempt in range(3):
        assert (await change(client, alice.headers, f"guess-{attempt}", NEW_PASSWORD)).status_code == 401
    for attempt in range(2):
        assert (await login(client, alice.email, f"login-guess-{attempt}")).status_code == 401
    assert await login_hits(alice.email) == [f"login:{alice.email}:{CLIENT_IP}"] * 5
    # The sixth attempt, by either door, is refused even with the right password.
    refused = await change(client, alice.headers, alice.password, NEW_PASSWORD)
    assert_error(refused, 429, "rate_limited")
    assert int(refused.headers["Retry-After"]) >= 1
    assert_error(await login(client, alice.email, alice.password), 429, "rate_limited")
    assert (await user_row(alice.id)).token_version == 0


async def test_a_successful_change_clears_the_failure_count(
    client: httpx.AsyncClient, alice: Account
) -> None:
    for attempt in range(4):
        assert (await change(client, alice.headers, f"guess-{attempt}", NEW_PASSWORD)).status_code == 401
    response = await change(client, alice.headers, alice.password, NEW_PASSWORD)
    assert response.status_code == 200
    assert await login_hits(alice.email) == []


async def test_concurrent_wrong_current_passwords_cannot_exceed_the_limit(
    client: httpx.AsyncClient, alice: Account
) -> None:
    responses = await asyncio.gather(
        *(change(client, alice.headers, f"guess-{n}", NEW_PASSWORD) for n in range(10))
    )
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {401, 429} and statuses.count(401) <= 5, statuses


async def test_the_new_password_is_validated(client: httpx.AsyncClient, alice: Account) -> None:
    error = assert_error(
        await change(client, alice.headers, alice.password, "short"), 422, "validation_error"
    )
    assert [item["loc"] for item in error["details"]] == [["body", "new_password"]]
    assert await login_hits(alice.email) == []  # refused before any password was checked


# --- logout -----------------------------------------------------------------------------------------


async def test_logout_revokes_every_token_of_the_caller(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    second = (await login(client, alice.email, alice.password)).json()["access_token"]
    response = await client.post("/api/auth/logout", headers=alice.headers)
    assert response.status_code == 204 and response.content == b""
    assert_error(await client.get("/api/auth/me", headers=alice.headers), 401, "unauthorized")
    assert await me_status(client, bearer(second)) == 401
    assert_error(await client.post("/api/auth/logout", headers=alice.headers), 401, "unauthorized")
    assert await me_status(client, bob) == 200  # nobody else is signed out

    # Logging in again works, with a token of the new version.
    again = await login(client, alice.email, alice.password)
    assert again.status_code == 200 and await me_status(client, bearer(again.json()["access_token"])) == 200
    rows = [json.loads(row) for row in await activity_rows_as_text("logout")]
    assert [(r["user_id"], r["status"]) for r in rows] == [(alice.id, "success"), (None, "failed")]


async def test_logout_needs_a_token(client: httpx.AsyncClient) -> None:
    assert_error(await client.post("/api/auth/logout"), 401, "unauthorized")
