"""Concurrent writes through the in-process functions: nothing lost, nothing doubled, races decided once.

The pool is the production one (DB_POOL_SIZE 5, no overflow, a 5 s wait for a connection):
50 concurrent requests queue for five connections, as on one warm Fluid-compute instance.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from lib.core.config import get_settings
from lib.core.db import session
from tests.support import Account, create_account, make_plan

WRITERS = 50


async def accounts(count: int, prefix: str) -> list[Account]:
    return list(
        await asyncio.gather(
            *(create_account(f"{prefix}-{i}@example.com", f"User {i}") for i in range(count))
        )
    )


async def burst(requests: list[Any]) -> tuple[list[httpx.Response], float]:
    started = time.perf_counter()
    responses = await asyncio.gather(*requests)
    return list(responses), time.perf_counter() - started


def statuses(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(response.status_code for response in responses)


async def rows(sql: str, **params: Any) -> list[Any]:
    async with session() as db:
        return list((await db.execute(text(sql), params)).all())


async def activity(action: str, status: str = "success") -> list[Any]:
    return await rows(
        "SELECT user_id, entity_id, request_id FROM activity_logs"
        " WHERE action = :action AND status = :status",
        action=action,
        status=status,
    )


def report(capsys: pytest.CaptureFixture[str], what: str, counts: Counter[int], seconds: float) -> None:
    settings = get_settings()
    with capsys.disabled():
        print(
            f"\n[concurrency] {what}: {dict(counts)} in {seconds:.2f} s "
            f"(pool {settings.db_pool_size}, wait {settings.db_connect_timeout:g} s)"
        )


def body_for(kind: str, i: int, plan_id: int | None) -> tuple[str, dict[str, Any]]:
    if kind == "order":
        return "/api/orders", {"plan_id": plan_id}
    if kind == "chatbot":
        return "/api/chatbot", {"message": f"Suggest a project idea about sensors, please ({i})"}
    if kind == "ideas":
        return "/api/ideas/generate", {"category": "iot", "interests": ["sensors"], "count": 2}
    return "/api/projects", {"title": f"Concurrent project {i}", "category": "iot"}


# kind -> (expected status, activity action, table, the id a response names)
KINDS = {
    "order": (201, "create_order", "orders"),
    "chatbot": (200, "send_message", "chatbot_history"),
    "ideas": (201, "generate_ideas", "idea_generation_history"),
    "project": (201, "create_project", "projects"),
}


@pytest.mark.parametrize("kind", list(KINDS))
async def test_50_concurrent_writers_each_write_exactly_once(
    client: httpx.AsyncClient, kind: str, capsys
) -> None:  # type: ignore[no-untyped-def]
    expected_status, action, table = KINDS[kind]
    users = await accounts(WRITERS, kind)
    plan_id = await make_plan("Concurrency") if kind == "order" else None
    requests = []
    for i, user in enumerate(users):
        path, body = body_for(kind, i, plan_id)
        requests.append(client.post(path, json=body, headers=user.headers))
    responses, seconds = await burst(requests)
    counts = statuses(responses)
    report(capsys, f"{WRITERS} concurrent {kind} writes", counts, seconds)
    assert counts == {expected_status: WRITERS}, [
        r.text for r in responses if r.status_code != expected_status
    ][:3]

    by_user = {user.id: response.json() for user, response in zip(users, responses, strict=True)}
    stored = await rows(f"SELECT id, user_id FROM {table}")
    per_user = Counter(row.user_id for row in stored)
    logged = await activity(action)
    logged_by_user = Counter(row.user_id for row in logged)
    assert set(logged_by_user) == set(by_user) and set(logged_by_user.values()) == {1}, logged_by_user
    request_ids = {r.headers["x-request-id"] for r in responses}
    assert {row.request_id for row in logged} == request_ids

    if kind == "chatbot":
        # One question and one answer per request, in the session the response names.
        assert len(stored) == 2 * WRITERS and set(per_user.values()) == {2}
        sessions = await rows("SELECT user_id, session_id::text AS sid, message_type FROM chatbot_history")
        for user_id, reply in by_user.items():
            mine = [row for row in sessions if row.user_id == user_id]
            assert {row.sid for row in mine} == {reply["session_id"]}
            assert sorted(row.message_type for row in mine) == ["bot", "user"]
        assert {(row.user_id, row.entity_id) for row in logged} == {
            (user_id, reply["session_id"]) for user_id, reply in by_user.items()
        }
    elif kind == "ideas":
        returned = {idea["id"]: user_id for user_id, reply in by_user.items() for idea in reply["ideas"]}
        assert len(stored) == len(returned) == 2 * WRITERS
        assert {row.id: row.user_id for row in stored} == returned
        assert {(row.user_id, row.entity_id) for row in logged} == {
            (user_id, str(reply["ideas"][0]["id"])) for user_id, reply in by_user.items()
        }
    else:
        assert len(stored) == WRITERS and set(per_user.values()) == {1}
        assert {row.id: row.user_id for row in stored} == {reply["id"]: uid for uid, reply in by_user.items()}
        assert {(row.user_id, row.entity_id) for row in logged} == {
            (user_id, str(reply["id"])) for user_id, reply in by_user.items()
        }


async def test_20_concurrent_registrations_of_one_email_create_one_account(
    client: httpx.AsyncClient,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    payload = {"email": "race@example.com", "password": "a long enough password", "full_name": "Racer"}
    responses, seconds = await burst([client.post("/api/auth/register", json=payload) for _ in range(20)])
    counts = statuses(responses)
    report(capsys, "20 concurrent registrations of one email", counts, seconds)
    assert counts == {201: 1, 409: 19}, [r.text for r in responses if r.status_code not in (201, 409)][:3]
    assert all(r.json()["error"]["code"] == "conflict" for r in responses if r.status_code == 409)
    winner = next(r.json() for r in responses if r.status_code == 201)
    users = await rows("SELECT id FROM users WHERE lower(email) = 'race@example.com'")
    assert [row.id for row in users] == [winner["user"]["id"]]
    assert [row.user_id for row in await activity("register")] == [winner["user"]["id"]]
    assert len(await activity("register", "failed")) == 19


async def test_concurrent_status_transitions_of_one_order_succeed_once(
    client: httpx.AsyncClient,
    alice: Account,
    admin: Account,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    plan_id = await make_plan("Race plan")
    created = await client.post("/api/orders", json={"plan_id": plan_id}, headers=alice.headers)
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    responses, seconds = await burst(
        [
            client.patch(f"/api/orders/{order_id}", json={"status": "paid"}, headers=admin.headers)
            for _ in range(20)
        ]
    )
    counts = statuses(responses)
    report(capsys, "20 concurrent pending->paid of one order", counts, seconds)
    assert counts == {200: 1, 409: 19}, [r.text for r in responses if r.status_code not in (200, 409)][:3]
    assert (await rows("SELECT status FROM orders WHERE id = :id", id=order_id))[0].status == "paid"
    moves = await activity("update_order_status")
    assert [(row.user_id, row.entity_id) for row in moves] == [(admin.id, str(order_id))]
