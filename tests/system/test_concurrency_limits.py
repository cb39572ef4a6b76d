"""Every rate limit is exact under concurrency: at least 50 simultaneous requests, exactly `limit` pass.

Through the in-process functions on the production pool (5 connections, no overflow), as in
test_concurrency.py: the requests queue for connections and race on each limit's check and count.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest

from lib.assistant.chat import MESSAGE_BUDGET
from lib.assistant.ideas import IDEA_BUDGET
from lib.rules.account_mail import RESETS_PER_EMAIL, RESETS_PER_IP
from lib.rules.accounts import (
    LOGIN_FAILURES_ALLOWED,
    LOGIN_FAILURES_PER_ACCOUNT,
    LOGIN_FAILURES_PER_IP,
    REGISTRATIONS_PER_IP,
    RESENDS_PER_USER,
)
from lib.web.failures import ANONYMOUS_ROWS_PER_IP
from tests.system.test_concurrency import burst, report, rows, statuses

BURST = 60


def assert_exact(responses: list[httpx.Response], passed: int, allowed: int) -> None:
    counts = statuses(responses)
    assert counts == {passed: allowed, 429: len(responses) - allowed}, [
        r.text for r in responses if r.status_code not in (passed, 429)
    ][:3]
    assert all(r.json()["error"]["code"] == "rate_limited" for r in responses if r.status_code == 429)
    assert all(int(r.headers["retry-after"]) >= 1 for r in responses if r.status_code == 429)


async def hits(bucket: str) -> int:
    return len(await rows("SELECT id FROM rate_limit_hits WHERE bucket = :bucket", bucket=bucket))


async def test_finding_4_chatbot_messages_exact_under_concurrency(client, alice, capsys) -> None:  # type: ignore[no-untyped-def]
    requests = [
        client.post("/api/chatbot", json={"message": f"hello {i}"}, headers=alice.headers)
        for i in range(BURST)
    ]
    responses, seconds = await burst(requests)
    report(capsys, f"{BURST} concurrent chatbot messages of one user", statuses(responses), seconds)
    assert_exact(responses, 200, MESSAGE_BUDGET.limit)
    assert len(await rows("SELECT id FROM chatbot_history")) == 2 * MESSAGE_BUDGET.limit
    assert await hits(MESSAGE_BUDGET.bucket(alice.id)) == MESSAGE_BUDGET.limit


async def test_finding_4_idea_work_exact_under_concurrency_whichever_route(client, alice, capsys) -> None:  # type: ignore[no-untyped-def]
    """Generations and chatbot idea requests race on the one idea budget: exactly its limit pass."""
    generate = {"category": "iot", "interests": ["sensors"], "count": 1}
    requests: list[Any] = []
    for i in range(BURST // 2):
        requests.append(client.post("/api/ideas/generate", json=generate, headers=alice.headers))
        asking = {"message": f"Suggest 1 web project idea about topic {i}"}
        requests.append(client.post("/api/chatbot", json=asking, headers=alice.headers))
    responses, seconds = await burst(requests)
    report(capsys, f"{BURST} concurrent idea requests of one user", statuses(responses), seconds)
    passed = [r for r in responses if r.status_code in (200, 201)]
    assert len(passed) == IDEA_BUDGET.limit, Counter(r.status_code for r in responses)
    assert {r.status_code for r in responses} <= {200, 201, 429}
    stored = await rows("SELECT id FROM idea_generation_history WHERE user_id = :id", id=alice.id)
    assert len(stored) == sum(len(r.json().get("ideas", [])) or 1 for r in passed)
    assert await hits(IDEA_BUDGET.bucket(alice.id)) == IDEA_BUDGET.limit


async def test_finding_4_verification_resends_exact_under_concurrency(client, alice, capsys) -> None:  # type: ignore[no-untyped-def]
    responses, seconds = await burst(
        [client.post("/api/auth/verify-email/resend", headers=alice.headers) for _ in range(BURST)]
    )
    report(capsys, f"{BURST} concurrent verification resends", statuses(responses), seconds)
    assert_exact(responses, 202, RESENDS_PER_USER)
    assert len(await rows("SELECT id FROM outbox WHERE template = 'verify_email'")) == RESENDS_PER_USER


async def test_finding_4_failed_logins_exact_under_concurrency(client, alice, capsys) -> None:  # type: ignore[no-untyped-def]
    wrong = {"email": alice.email, "password": "not the password at all"}
    responses, seconds = await burst([client.post("/api/auth/login", json=wrong) for _ in range(BURST)])
    report(capsys, f"{BURST} concurrent wrong logins", statuses(responses), seconds)
    assert_exact(responses, 401, LOGIN_FAILURES_ALLOWED)


@pytest.mark.parametrize("per", ["email", "ip"])
async def test_finding_4_password_resets_exact_under_concurrency(client, alice, capsys, per: str) -> None:  # type: ignore[no-untyped-def]
    emails = [alice.email] * BURST if per == "email" else [f"nobody{i}@example.com" for i in range(BURST)]
    responses, seconds = await burst(
        [client.post("/api/auth/password-reset", json={"email": email}) for email in emails]
    )
    report(capsys, f"{BURST} concurrent password resets, one {per}", statuses(responses), seconds)
    assert_exact(responses, 202, RESETS_PER_EMAIL if per == "email" else RESETS_PER_IP)


async def test_finding_4_failed_logins_per_account_exact_under_concurrency(  # type: ignore[no-untyped-def]
    client, alice, trust_proxies, capsys
) -> None:
    trust_proxies(1)
    wrong = {"email": alice.email, "password": "not the password at all"}
    responses, seconds = await burst(
        [
            client.post("/api/auth/login", json=wrong, headers={"x-forwarded-for": f"198.51.100.{i}"})
            for i in range(BURST)
        ]
    )
    report(
        capsys,
        f"{BURST} concurrent wrong logins of one account from {BURST} IPs",
        statuses(responses),
        seconds,
    )
    assert_exact(responses, 401, LOGIN_FAILURES_PER_ACCOUNT)


async def test_finding_4_failed_logins_per_ip_exact_under_concurrency(client, capsys) -> None:  # type: ignore[no-untyped-def]
    responses, seconds = await burst(
        [
            client.post(
                "/api/auth/login", json={"email": f"victim{i}@example.com", "password": "Summer2026!"}
            )
            for i in range(BURST)
        ]
    )
    report(
        capsys,
        f"{BURST} concurrent wrong logins of {BURST} accounts from one IP",
        statuses(responses),
        seconds,
    )
    assert_exact(responses, 401, LOGIN_FAILURES_PER_IP)


async def test_finding_5_registrations_per_ip_exact_under_concurrency(client, capsys) -> None:  # type: ignore[no-untyped-def]
    bodies = [
        {"email": f"new{i}@example.com", "password": "a long enough password", "full_name": "New"}
        for i in range(BURST)
    ]
    responses, seconds = await burst([client.post("/api/auth/register", json=body) for body in bodies])
    report(capsys, f"{BURST} concurrent registrations from one IP", statuses(responses), seconds)
    assert_exact(responses, 201, REGISTRATIONS_PER_IP)
    assert len(await rows("SELECT id FROM users")) == REGISTRATIONS_PER_IP


async def test_finding_5_anonymous_failure_rows_exact_under_concurrency(client, capsys) -> None:  # type: ignore[no-untyped-def]
    responses, seconds = await burst([client.get(f"/api/nowhere-{i}") for i in range(BURST)])
    report(capsys, f"{BURST} concurrent requests to unknown paths", statuses(responses), seconds)
    assert statuses(responses) == {404: BURST}
    assert len(await rows("SELECT id FROM activity_logs")) == ANONYMOUS_ROWS_PER_IP
