"""Accounts: password reset by mailed link (single use, 30 minutes, the newest only), end to end."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text, update

from devkit.smtp_server import SmtpServer
from lib.core.db import session
from lib.models.account_tokens import AccountToken
from lib.rules import account_mail
from tests import log_hygiene
from tests.functions.accounts_support import (
    NEW_PASSWORD,
    account_tokens,
    arrived,
    bearer,
    confirm,
    link_token,
    mail_server,
    me_status,
    outbox,
    reset_token,
    user_row,
)
from tests.functions.auth_support import activity_rows_as_text, assert_token_body, login
from tests.support import Account, assert_error


@pytest.fixture(autouse=True)
def no_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reset requests answered at once (the timing test below puts the hold back)."""
    monkeypatch.setattr(account_mail, "RESET_ANSWER_SECONDS", 0.0)


@pytest.fixture
def smtp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    with mail_server(tmp_path / "mail", monkeypatch) as server:
        yield server


async def test_reset_end_to_end_through_the_mail(
    client: httpx.AsyncClient, alice: Account, smtp: SmtpServer
) -> None:
    response = await client.post("/api/auth/password-reset", json={"email": "Alice@Example.com"})
    assert response.status_code == 202, response.text
    assert response.json() == {"status": "accepted"}

    [mail] = await arrived(smtp, 1)
    assert mail.recipients == (alice.email,)
    assert mail.message["Subject"] == "Reset your Launchpad password"
    assert "Hello Alice," in mail.text and "valid for 30 minutes" in mail.text
    token = link_token(mail, "/reset-password")
    assert len(token) >= 43

    # Stored only as its SHA-256, for this user and purpose, expiring in 30 minutes.
    [row] = await account_tokens(alice.id)
    assert row.purpose == "password_reset" and row.used_at is None
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert 29 * 60 < (row.expires_at - row.created_at).total_seconds() <= 30 * 60

    confirmed = await confirm(client, token)
    assert confirmed.status_code == 200, confirmed.text
    assert_token_body(confirmed.json(), alice.email, "Alice")
    assert confirmed.json()["user"]["email_verified"] is True  # opening the mail proved the address
    assert await me_status(client, bearer(confirmed.json()["access_token"])) == 200

    # The old access token is revoked; the old password no longer logs in, the new one does.
    assert_error(await client.get("/api/auth/me", headers=alice.headers), 401, "unauthorized")
    assert (await login(client, alice.email, alice.password)).status_code == 401
    assert (await login(client, alice.email, NEW_PASSWORD)).status_code == 200

    # A "your password was changed" mail follows; the link is used up.
    [_, changed] = await arrived(smtp, 2)
    assert changed.message["Subject"] == "Your Launchpad password was changed"
    assert_error(await confirm(client, token, "yet another passphrase"), 400, "invalid_token")
    [row] = await account_tokens(alice.id)
    assert row.used_at is not None

    # The token and the link appear in no log line and no activity row.
    lines = [line for _, line in log_hygiene.LINES]
    assert lines and not any(token in line for line in lines)
    rows = await activity_rows_as_text("request_password_reset") + await activity_rows_as_text(
        "confirm_password_reset"
    )
    assert len(rows) == 3 and not any(token in row or NEW_PASSWORD in row for row in rows)
    assert [json.loads(r)["user_id"] for r in rows] == [alice.id, alice.id, None]


async def test_unknown_used_expired_and_superseded_tokens_are_400(
    client: httpx.AsyncClient, alice: Account
) -> None:
    assert_error(await confirm(client, "x" * 43), 400, "invalid_token")

    first = await reset_token(client, alice.email)
    second = await reset_token(client, alice.email)
    assert first != second
    assert len(await account_tokens(alice.id)) == 1  # one live link per user and purpose
    error = assert_error(await confirm(client, first), 400, "invalid_token")
    assert first not in json.dumps(error)

    async with session() as db:
        await db.execute(update(AccountToken).values(expires_at=text("now() - interval '1 second'")))
    assert_error(await confirm(client, second), 400, "invalid_token")
    assert (await user_row(alice.id)).token_version == 0  # nothing changed
    assert await me_status(client, alice) == 200


async def test_a_deactivated_account_cannot_use_its_link(client: httpx.AsyncClient, alice: Account) -> None:
    token = await reset_token(client, alice.email)
    async with session() as db:
        await db.execute(text("UPDATE users SET is_active = false WHERE id = :id"), {"id": alice.id})
    assert_error(await confirm(client, token), 400, "invalid_token")


async def test_two_concurrent_confirms_of_one_link_one_wins(
    client: httpx.AsyncClient, alice: Account
) -> None:
    token = await reset_token(client, alice.email)
    responses = await asyncio.gather(
        confirm(client, token, "first new passphrase"), confirm(client, token, "second new passphrase")
    )
    assert sorted(r.status_code for r in responses) == [200, 400], [r.text for r in responses]
    [winner] = [r for r in responses if r.status_code == 200]
    [loser] = [r for r in responses if r.status_code == 400]
    assert_error(loser, 400, "invalid_token")
    password = "first new passphrase" if winner is responses[0] else "second new passphrase"
    assert (await login(client, alice.email, password)).status_code == 200
    assert (await user_row(alice.id)).token_version == 1


async def test_confirm_validates_the_new_password(client: httpx.AsyncClient, alice: Account) -> None:
    token = await reset_token(client, alice.email)
    response = await confirm(client, token, "short")
    details = assert_error(response, 422, "validation_error")["details"]
    assert [item["loc"] for item in details] == [["body", "password"]]
    # A refused body leaves the link usable.
    assert (await confirm(client, token)).status_code == 200


# --- no account enumeration -------------------------------------------------------------------------


def _comparable(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k, v) for k, v in response.headers.items() if k.lower() != "x-request-id"]
    return response.status_code, headers, response.content


async def test_known_and_unknown_emails_get_the_same_answer(
    client: httpx.AsyncClient, alice: Account
) -> None:
    known = await client.post("/api/auth/password-reset", json={"email": alice.email})
    unknown = await client.post("/api/auth/password-reset", json={"email": "nobody@example.com"})
    assert _comparable(known) == _comparable(unknown)
    assert known.status_code == 202 and known.content == b'{"status":"accepted"}'
    assert [m.recipient for m in await outbox("password_reset")] == [alice.email]

    # Past the limit, the same again: a 429 for either, with the same headers.
    for _ in range(4):
        await client.post("/api/auth/password-reset", json={"email": alice.email})
        await client.post("/api/auth/password-reset", json={"email": "nobody@example.com"})
    known = await client.post("/api/auth/password-reset", json={"email": alice.email})
    unknown = await client.post("/api/auth/password-reset", json={"email": "nobody@example.com"})
    refused = assert_error(known, 429, "rate_limited"), assert_error(unknown, 429, "rate_limited")
    assert refused[0]["message"] == refused[1]["message"]
    assert set(known.headers) == set(unknown.headers)


async def _medians(client: httpx.AsyncClient, email: str, rounds: int) -> tuple[float, float]:
    """Median seconds of a reset request for `email` and for unknown ones, alternated, limits cleared."""
    timings: dict[bool, list[float]] = {True: [], False: []}
    loop = asyncio.get_running_loop()
    for n in range(rounds):
        for known in (True, False) if n % 2 else (False, True):  # warm-up and drift fall on both sides
            async with session() as db:
                await db.execute(text("DELETE FROM rate_limit_hits"))
            started = loop.time()
            body = {"email": email if known else f"ghost{n}@example.com"}
            response = await client.post("/api/auth/password-reset", json=body)
            assert response.status_code == 202
            timings[known].append(loop.time() - started)
    return tuple(sorted(timings[known])[rounds // 2] for known in (True, False))  # type: ignore[return-value]


async def test_known_and_unknown_emails_take_similar_time(
    client: httpx.AsyncClient, alice: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A mail server that takes 100 ms to accept a message, as a provider does over the network.
    with mail_server(tmp_path / "mail", monkeypatch, delay=0.1) as server:
        bare = await _medians(client, alice.email, 6)
        monkeypatch.setattr(account_mail, "RESET_ANSWER_SECONDS", 0.3)
        held = await _medians(client, alice.email, 6)
        assert len(server.messages) == 12
    report = ", ".join(
        f"{label} known {k * 1000:.0f} ms / unknown {u * 1000:.0f} ms"
        for label, (k, u) in (("without the hold", bare), ("held", held))
    )
    print(f"reset request medians: {report}")
    assert bare[0] - bare[1] > 0.08  # the send itself would tell them apart ...
    assert abs(held[0] - held[1]) < 0.02, report  # ... the hold does not


# --- limits -------------------------------------------------------------------------------------------


async def test_reset_requests_are_limited_per_email(
    client: httpx.AsyncClient, alice: Account, trust_proxies
) -> None:
    trust_proxies(1)
    for n in range(5):
        headers = {"x-forwarded-for": f"198.51.100.{n}"}  # a new IP each time: the email's own limit
        response = await client.post("/api/auth/password-reset", json={"email": alice.email}, headers=headers)
        assert response.status_code == 202
    response = await client.post("/api/auth/password-reset", json={"email": alice.email})
    assert_error(response, 429, "rate_limited")
    assert 1 <= int(response.headers["Retry-After"]) <= 3600
    assert len(await outbox("password_reset")) == 5
    other = await client.post("/api/auth/password-reset", json={"email": "bob@example.com"})
    assert other.status_code == 202


async def test_reset_requests_are_limited_per_ip(client: httpx.AsyncClient, trust_proxies) -> None:
    trust_proxies(1)
    for n in range(20):
        response = await client.post("/api/auth/password-reset", json={"email": f"user{n}@example.com"})
        assert response.status_code == 202
    response = await client.post("/api/auth/password-reset", json={"email": "user99@example.com"})
    assert_error(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) >= 1
    elsewhere = await client.post(
        "/api/auth/password-reset",
        json={"email": "user99@example.com"},
        headers={"x-forwarded-for": "192.0.2.9"},
    )
    assert elsewhere.status_code == 202


async def test_no_row_keeps_the_link_once_the_mail_left(client: httpx.AsyncClient, alice: Account) -> None:
    token = await reset_token(client, alice.email)  # read from the mail as it arrived
    [message] = await outbox("password_reset", alice.email)
    assert message.status == "sent"
    assert token not in message.text_body and token not in message.html_body
    [stored] = await account_tokens(alice.id)
    assert token not in stored.token_hash  # only a hash of it is kept
    assert (await confirm(client, token)).status_code == 200  # the delivered link still works
