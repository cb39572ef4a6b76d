"""Accounts: login (same shape as register, one 401 for every failure), its rate limit and rehashing."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import argon2
import httpx
import pytest
from sqlalchemy import select, update

from lib.core.db import session
from lib.core.passwords import needs_rehash
from lib.models.rate_limits import RateLimitHit
from lib.models.users import User
from tests.functions.auth_support import (
    CLIENT_IP,
    PASSWORD,
    activity_rows_as_text,
    assert_token_body,
    login,
    users_with_email,
)
from tests.support import Account, assert_error


async def hits_for(email: str) -> list[str]:
    async with session() as db:
        # The email + IP count ("login:<email>:<ip>"), not the per-account and per-IP ones.
        buckets = await db.scalars(
            select(RateLimitHit.bucket).where(RateLimitHit.bucket.startswith(f"login:{email}:"))
        )
        return list(buckets)


# --- login ----------------------------------------------------------------------------------------


async def test_login_returns_the_same_shape_as_register(client: httpx.AsyncClient, alice: Account) -> None:
    response = await login(client, "ALICE@example.com", alice.password)
    assert response.status_code == 200, response.text
    body = response.json()
    assert_token_body(body, alice.email, "Alice")
    assert body["user"]["id"] == alice.id
    assert "password" not in response.text
    me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["id"] == alice.id


async def test_wrong_password_and_unknown_email_get_the_same_401(
    client: httpx.AsyncClient, alice: Account
) -> None:
    wrong = assert_error(await login(client, alice.email, "not the password"), 401, "unauthorized")
    unknown = assert_error(await login(client, "nobody@example.com", alice.password), 401, "unauthorized")
    assert wrong["message"] == unknown["message"]
    assert wrong["details"] is None and unknown["details"] is None


async def test_login_of_a_deactivated_user_is_401(client: httpx.AsyncClient, alice: Account) -> None:
    async with session() as db:
        await db.execute(update(User).where(User.id == alice.id).values(is_active=False))
    error = assert_error(await login(client, alice.email, alice.password), 401, "unauthorized")
    wrong = assert_error(await login(client, "nobody@example.com", "whatever1"), 401, "unauthorized")
    assert error["message"] == wrong["message"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "alice@example.com"}, "password"),
        ({"password": PASSWORD}, "email"),
        ({"email": "alice@example.com", "password": ""}, "password"),
        ({"email": "alice", "password": PASSWORD}, "email"),
        ({"email": "alice@example.com", "password": PASSWORD, "remember": True}, "remember"),
    ],
    ids=["no-password", "no-email", "empty-password", "bad-email", "unknown-field"],
)
async def test_login_rejects_invalid_input_naming_the_field(
    client: httpx.AsyncClient, alice: Account, payload: dict[str, Any], field: str
) -> None:
    error = assert_error(await client.post("/api/auth/login", json=payload), 422, "validation_error")
    assert ["body", field] in [item["loc"] for item in error["details"]]


async def test_login_success_and_failure_are_recorded_without_the_password(
    client: httpx.AsyncClient, alice: Account
) -> None:
    headers = {"user-agent": "pytest-agent/1.0"}
    ok = await client.post(
        "/api/auth/login", json={"email": alice.email, "password": alice.password}, headers=headers
    )
    bad = await client.post(
        "/api/auth/login", json={"email": alice.email, "password": "wrong-password-123"}, headers=headers
    )
    unknown = await client.post(
        "/api/auth/login",
        json={"email": "ghost@example.com", "password": "ghost-password-9"},
        headers=headers,
    )
    assert (ok.status_code, bad.status_code, unknown.status_code) == (200, 401, 401)

    rows = await activity_rows_as_text("login")
    assert len(rows) == 3
    for row in rows:
        for secret in (alice.password, "wrong-password-123", "ghost-password-9", ok.json()["access_token"]):
            assert secret not in row
    records = [json.loads(row) for row in rows]
    for record, response in zip(records, (ok, bad, unknown), strict=True):
        assert record["ip_address"] == CLIENT_IP
        assert record["method"] == "POST"
        assert record["path"] == "/api/auth/login"
        assert record["user_agent"] == "pytest-agent/1.0"
        assert record["request_id"] == response.headers["x-request-id"]
        assert record["entity_type"] == "user"
    assert [r["status"] for r in records] == ["success", "failed", "failed"]
    assert [r["user_id"] for r in records] == [alice.id, alice.id, None]
    assert records[0]["error_message"] is None
    assert records[1]["error_message"] == bad.json()["error"]["message"]


# --- rate limit -----------------------------------------------------------------------------------


async def test_sixth_attempt_after_five_failures_is_429_even_with_the_right_password(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    for attempt in range(5):
        # The email's case must not open a new bucket.
        email = alice.email.upper() if attempt % 2 else alice.email
        assert_error(await login(client, email, f"wrong-{attempt}-password"), 401, "unauthorized")

    # The limit lives in Postgres, where every serverless instance sees it.
    buckets = await hits_for(alice.email)
    assert len(buckets) == 5
    assert all(CLIENT_IP in bucket for bucket in buckets)

    response = await login(client, alice.email, alice.password)
    error = assert_error(response, 429, "rate_limited")
    retry_after = response.headers["Retry-After"]
    assert retry_after.isdigit() and 1 <= int(retry_after) <= 15 * 60
    assert "access_token" not in response.text

    # Another email from the same IP is not affected.
    other = await login(client, bob.email, bob.password)
    assert other.status_code == 200, other.text
    # The blocked attempt is recorded as a failed login.
    last = json.loads((await activity_rows_as_text("login"))[-2])
    assert last["status"] == "failed" and last["error_message"] == error["message"]


async def test_unknown_emails_are_rate_limited_too(client: httpx.AsyncClient) -> None:
    for _ in range(5):
        assert_error(await login(client, "ghost@example.com", "guess-password"), 401, "unauthorized")
    assert_error(await login(client, "ghost@example.com", "guess-password"), 429, "rate_limited")


async def test_successful_login_resets_the_failure_count(client: httpx.AsyncClient, alice: Account) -> None:
    for _ in range(4):
        assert_error(await login(client, alice.email, "wrong-password"), 401, "unauthorized")
    assert len(await hits_for(alice.email)) == 4
    assert (await login(client, alice.email, alice.password)).status_code == 200
    assert await hits_for(alice.email) == []
    for _ in range(4):
        assert_error(await login(client, alice.email, "wrong-password"), 401, "unauthorized")
    assert (await login(client, alice.email, alice.password)).status_code == 200


async def test_concurrent_wrong_passwords_cannot_exceed_the_limit(
    client: httpx.AsyncClient, alice: Account
) -> None:
    responses = await asyncio.gather(*(login(client, alice.email, f"guess-{n}-pw") for n in range(12)))
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {401, 429}, [r.text for r in responses]
    assert statuses.count(401) <= 5, statuses
    assert_error(await login(client, alice.email, alice.password), 429, "rate_limited")


# --- rehash ---------------------------------------------------------------------------------------


async def test_login_rehashes_a_password_hashed_with_weaker_parameters(client: httpx.AsyncClient) -> None:
    weak = argon2.PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
    assert needs_rehash(weak)
    async with session() as db:
        db.add(User(email="legacy@example.com", password_hash=weak, full_name="Legacy"))

    # A failed login leaves the hash alone.
    assert (await login(client, "legacy@example.com", "not-the-password")).status_code == 401
    [user] = await users_with_email("legacy@example.com")
    assert user.password_hash == weak

    assert (await login(client, "legacy@example.com", PASSWORD)).status_code == 200
    [user] = await users_with_email("legacy@example.com")
    assert user.password_hash != weak
    assert user.password_hash.startswith("$argon2id$")
    assert not needs_rehash(user.password_hash)
    assert argon2.PasswordHasher().verify(user.password_hash, PASSWORD)
    assert (await login(client, "legacy@example.com", PASSWORD)).status_code == 200


# --- the client's address and the limits across addresses and accounts (finding 3) ----------------


def from_ip(ip: str) -> dict[str, str]:
    """X-Forwarded-For as a load balancer leaves it: whatever the client sent, then the address it saw."""
    return {"x-forwarded-for": f"6.6.6.6, {ip}"}


async def attempt(
    client: httpx.AsyncClient, email: str, password: str, headers: dict[str, str]
) -> httpx.Response:
    return await client.post("/api/auth/login", json={"email": email, "password": password}, headers=headers)


async def test_finding_3_a_rotated_forwarded_for_does_not_reset_the_lockout(
    client: httpx.AsyncClient, alice: Account
) -> None:
    """No trusted proxy configured (make dev, API Gateway): the header is the client's, the peer counts."""
    for n in range(5):
        spoofed = {"x-forwarded-for": f"198.51.100.{n}", "x-real-ip": f"192.0.2.{n}"}
        assert_error(await attempt(client, alice.email, "wrong-password", spoofed), 401, "unauthorized")
    fresh = {"x-forwarded-for": "198.51.100.250"}
    assert_error(await attempt(client, alice.email, alice.password, fresh), 429, "rate_limited")
    assert set(await hits_for(alice.email)) == {f"login:{alice.email}:{CLIENT_IP}"}


async def test_finding_3_client_address_from_the_trusted_position(monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from starlette.requests import Request

    from lib.core import config
    from lib.web.request_info import client_ip

    base = config.get_settings()

    def seen(headers: dict[str, str], **settings: Any) -> str | None:
        swapped = dataclasses.replace(base, **settings)
        monkeypatch.setattr(config, "get_settings", lambda: swapped)
        raw = [(name.encode(), value.encode()) for name, value in headers.items()]
        return client_ip(Request({"type": "http", "headers": raw, "client": ("10.0.0.9", 4000)}))

    chain = {"x-forwarded-for": "6.6.6.6, 203.0.113.50, 10.0.0.2"}
    assert seen(chain) == "10.0.0.9"  # no trusted proxy: the peer
    assert seen(chain, trusted_proxy_hops=1) == "10.0.0.2"
    assert seen(chain, trusted_proxy_hops=2) == "203.0.113.50"
    assert seen(chain, trusted_proxy_hops=4) == "10.0.0.9"  # fewer entries than hops: it bypassed them
    assert seen({"x-forwarded-for": "6.6.6.6, not-an-ip"}, trusted_proxy_hops=1) is None
    assert seen({"x-forwarded-for": "1" * 65536}, trusted_proxy_hops=1) is None
    assert seen({"x-forwarded-for": " 2001:DB8::1 "}, trusted_proxy_hops=1) == "2001:db8::1"
    # On Vercel the edge sets both headers itself, replacing what the client sent.
    vercel = {"x-real-ip": "203.0.113.9", "x-forwarded-for": "203.0.113.9"}
    assert seen(vercel, on_vercel=True) == "203.0.113.9"
    assert seen({"x-forwarded-for": "203.0.113.8"}, on_vercel=True) == "203.0.113.8"


async def test_finding_3_lockout_per_account_across_ips(
    client: httpx.AsyncClient, alice: Account, trust_proxies: Any
) -> None:
    from lib.rules.accounts import LOGIN_FAILURES_PER_ACCOUNT

    trust_proxies(1)
    for n in range(LOGIN_FAILURES_PER_ACCOUNT):  # two per address: each address stays under its 5
        response = await attempt(client, alice.email, "wrong-password", from_ip(f"198.51.100.{n // 2}"))
        assert_error(response, 401, "unauthorized")
    response = await attempt(client, alice.email, alice.password, from_ip("192.0.2.77"))
    assert_error(response, 429, "rate_limited")
    assert 1 <= int(response.headers["retry-after"]) <= 15 * 60


async def test_finding_3_lockout_per_ip_across_accounts(
    client: httpx.AsyncClient, alice: Account, bob: Account, trust_proxies: Any
) -> None:
    from lib.rules.accounts import LOGIN_FAILURES_PER_IP

    trust_proxies(1)
    sprayer = from_ip("198.51.100.66")
    for n in range(LOGIN_FAILURES_PER_IP):
        response = await attempt(client, f"victim{n}@example.com", "Summer2026!", sprayer)
        assert_error(response, 401, "unauthorized")
    # The sprayer's address is out, even for a right password; the accounts and other addresses are not.
    assert_error(await attempt(client, alice.email, alice.password, sprayer), 429, "rate_limited")
    assert (await attempt(client, alice.email, alice.password, from_ip("192.0.2.1"))).status_code == 200


async def test_finding_3_own_successful_logins_do_not_clear_an_ip_of_failures(
    client: httpx.AsyncClient, bob: Account, trust_proxies: Any
) -> None:
    from lib.rules.accounts import LOGIN_FAILURES_PER_IP

    trust_proxies(1)
    sprayer = from_ip("198.51.100.67")
    for n in range(LOGIN_FAILURES_PER_IP):
        assert (await attempt(client, f"victim{n}@example.com", "Summer2026!", sprayer)).status_code == 401
        if n % 10 == 0:  # the sprayer's own account, in between
            assert (await attempt(client, bob.email, bob.password, sprayer)).status_code == 200
    assert_error(await attempt(client, "victim99@example.com", "Summer2026!", sprayer), 429, "rate_limited")


async def test_finding_5_login_holds_no_pooled_connection_while_argon2_runs(
    client: httpx.AsyncClient, alice: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lib.core import passwords
    from lib.core.db import get_engine

    pool = get_engine().sync_engine.pool
    held: list[int] = []
    real = passwords.verify_password

    def verify(password_hash: str | None, password: str) -> bool:
        held.append(pool.checkedout())  # type: ignore[attr-defined]
        return real(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", verify)
    assert (await login(client, alice.email, alice.password)).status_code == 200
    assert_error(await login(client, alice.email, "wrong-password"), 401, "unauthorized")
    assert_error(await login(client, "ghost@example.com", "wrong-password"), 401, "unauthorized")
    assert held == [0, 0, 0]
