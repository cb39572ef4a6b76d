"""The chatbot: replies from the provider or the built-in responder, both messages stored, sessions owned."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx
from sqlalchemy import select
from structlog.testing import capture_logs

from devkit.processes import PYTHON, ROOT, subprocess_env
from lib.core.db import session
from lib.models.activity_logs import ActivityLog
from lib.models.chatbot_history import ChatbotMessage
from lib.models.idea_generation_history import Idea
from lib.models.meetings import Meeting
from lib.models.orders import Order
from lib.models.plans import Plan
from lib.models.synopsis import Synopsis

AI_URL = "https://ai.example.test/v1/chat/completions"
AI_KEY = "sk-test-provider-key-0123456789"
AI_MODEL = "test-model-1"


@pytest.fixture
def use_provider(client, monkeypatch) -> Callable[[], None]:  # type: ignore[no-untyped-def]
    """Call it to configure the AI provider for the rest of the test (settings swapped on lib.core.config)."""
    from lib.core import config

    def enable() -> None:
        settings = dataclasses.replace(
            config.get_settings(),
            ai_api_url=AI_URL,
            ai_api_key=AI_KEY,
            ai_model=AI_MODEL,
            ai_timeout_seconds=2.0,
        )
        monkeypatch.setattr(config, "get_settings", lambda: settings)

    return enable


def completion(content: str) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
            ],
        },
    )


async def chat(client: httpx.AsyncClient, account, message: str, **extra: object) -> httpx.Response:  # type: ignore[no-untyped-def]
    return await client.post("/api/chatbot", json={"message": message, **extra}, headers=account.headers)


async def session_rows(session_id: str) -> list[ChatbotMessage]:
    async with session() as db:
        statement = (
            select(ChatbotMessage)
            .where(ChatbotMessage.session_id == uuid.UUID(session_id))
            .order_by(ChatbotMessage.id)
        )
        return list((await db.scalars(statement)).all())


async def add_plans() -> None:
    async with session() as db:
        db.add_all(
            [
                Plan(name="Pro", price_cents=249_950, currency="INR", description="Full support"),
                Plan(name="Basic", price_cents=99_900, currency="INR", features=["Synopsis review"]),
                Plan(name="Legacy", price_cents=10_000, currency="INR", is_active=False),
            ]
        )


def assert_stored_pair(
    rows: list[ChatbotMessage], user_id: int, message: str, intent: str, source: str
) -> None:
    user_row, bot_row = rows[-2:]
    assert (user_row.message_type, user_row.message, user_row.intent) == ("user", message, intent)
    assert user_row.user_id == bot_row.user_id == user_id
    assert user_row.source is None and user_row.response_time_ms is None
    assert (bot_row.message_type, bot_row.intent, bot_row.source) == ("bot", intent, source)
    assert bot_row.response_time_ms is not None and bot_row.response_time_ms >= 0


async def test_builtin_reply_without_a_provider(client, alice) -> None:  # type: ignore[no-untyped-def]
    response = await chat(client, alice, "Hello!")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"session_id", "reply", "intent", "response_time_ms"}
    assert body["intent"] == "greeting"
    assert "Alice" in body["reply"]
    assert isinstance(body["response_time_ms"], int)
    rows = await session_rows(body["session_id"])
    assert len(rows) == 2
    assert_stored_pair(rows, alice.id, "Hello!", "greeting", "builtin")
    assert rows[1].message == body["reply"] and rows[1].model is None
    assert rows[1].response_time_ms == body["response_time_ms"]
    async with session() as db:
        activity = (await db.scalars(select(ActivityLog).where(ActivityLog.action == "send_message"))).one()
    assert (activity.user_id, activity.entity_type, activity.entity_id) == (
        alice.id,
        "chatbot_session",
        body["session_id"],
    )
    assert activity.status == "success"


async def test_pricing_reply_lists_active_plans(client, alice) -> None:  # type: ignore[no-untyped-def]
    await add_plans()
    response = await chat(client, alice, "How much do your plans cost?")
    assert response.status_code == 200, response.text
    reply = response.json()["reply"]
    assert response.json()["intent"] == "pricing"
    assert "Basic: INR 999.00" in reply and "Pro: INR 2,499.50" in reply
    assert reply.index("Basic") < reply.index("Pro")  # cheapest first
    assert "Legacy" not in reply
    assert "Synopsis review" in reply


async def test_provider_reply_uses_the_session_context(client, alice, use_provider) -> None:  # type: ignore[no-untyped-def]
    first = (await chat(client, alice, "hello")).json()
    use_provider()
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return completion("The Basic plan is the cheapest.")

    with respx.mock(assert_all_called=True) as router:
        router.post(AI_URL).mock(side_effect=answer)
        response = await chat(client, alice, "Which plan is cheapest?", session_id=first["session_id"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["reply"] == "The Basic plan is the cheapest."
    assert body["session_id"] == first["session_id"]
    (request,) = seen
    assert request.headers["authorization"] == f"Bearer {AI_KEY}"
    sent = json.loads(request.content)
    assert sent["model"] == AI_MODEL
    messages = sent["messages"]
    assert messages[0]["role"] == "system" and "Alice" in messages[0]["content"]
    assert messages[1:] == [
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": first["reply"]},
        {"role": "user", "content": "Which plan is cheapest?"},
    ]
    rows = await session_rows(first["session_id"])
    assert [row.message_type for row in rows] == ["user", "bot", "user", "bot"]
    assert_stored_pair(rows, alice.id, "Which plan is cheapest?", "pricing", "provider")
    assert rows[-1].model == AI_MODEL and rows[-1].message == body["reply"]


async def test_provider_context_is_the_last_ten_messages(client, alice, use_provider) -> None:  # type: ignore[no-untyped-def]
    session_id = (await chat(client, alice, "message 0")).json()["session_id"]
    for number in range(1, 7):
        await chat(client, alice, f"message {number}", session_id=session_id)
    use_provider()
    with respx.mock() as router:
        route = router.post(AI_URL).mock(return_value=completion("ok"))
        response = await chat(client, alice, "latest", session_id=session_id)
    assert response.status_code == 200
    messages = json.loads(route.calls.last.request.content)["messages"]
    assert len(messages) == 1 + 10 + 1
    assert messages[1] == {"role": "user", "content": "message 2"}  # 14 stored, the oldest 4 left out
    assert messages[-1] == {"role": "user", "content": "latest"}


FAILURES = {
    "timeout": {"side_effect": httpx.ReadTimeout("timed out")},
    "connect_error": {"side_effect": httpx.ConnectError("refused")},
    "http_500": {"return_value": httpx.Response(500, json={"error": "boom"})},
    "http_429": {"return_value": httpx.Response(429, text="slow down")},
    "not_json": {"return_value": httpx.Response(200, text="<html>oops</html>")},
    "no_choices": {"return_value": httpx.Response(200, json={"choices": []})},
    "empty_content": {"return_value": completion("   ")},
    "wrong_shape": {"return_value": httpx.Response(200, json={"choices": [{"text": "hi"}]})},
}


@pytest.mark.parametrize("failure", list(FAILURES))
async def test_provider_failure_falls_back_to_builtin(client, alice, use_provider, failure: str) -> None:  # type: ignore[no-untyped-def]
    await add_plans()
    use_provider()
    with respx.mock() as router, capture_logs() as logs:
        route = router.post(AI_URL).mock(**FAILURES[failure])
        response = await chat(client, alice, "What are your prices?")
    assert route.called
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["intent"] == "pricing"
    assert "Basic: INR 999.00" in body["reply"]  # the built-in answer
    rows = await session_rows(body["session_id"])
    assert len(rows) == 2
    assert_stored_pair(rows, alice.id, "What are your prices?", "pricing", "fallback")
    assert rows[1].model is None and rows[1].message == body["reply"]
    assert "ai_provider_failed" in [entry["event"] for entry in logs]
    assert AI_KEY not in repr(logs)  # not even before redaction


async def test_another_users_session_is_not_found(client, alice, bob, admin) -> None:  # type: ignore[no-untyped-def]
    session_id = (await chat(client, alice, "hi")).json()["session_id"]
    response = await chat(client, bob, "let me in", session_id=session_id)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    response = await client.get(f"/api/chatbot/sessions/{session_id}", headers=bob.headers)
    assert response.status_code == 404
    assert len(await session_rows(session_id)) == 2  # bob's message was not stored
    async with session() as db:
        failed = (await db.scalars(select(ActivityLog).where(ActivityLog.user_id == bob.id))).all()
    assert [(row.action, row.status) for row in failed if row.action == "send_message"] == [
        ("send_message", "failed")
    ]
    # An admin reads any session (but cannot post into it: it is not theirs).
    response = await client.get(f"/api/chatbot/sessions/{session_id}", headers=admin.headers)
    assert response.status_code == 200
    assert [m["user_id"] for m in response.json()["messages"]] == [alice.id, alice.id]
    assert (await chat(client, admin, "hi", session_id=session_id)).status_code == 404


async def test_session_messages_oldest_first(client, alice) -> None:  # type: ignore[no-untyped-def]
    session_id = (await chat(client, alice, "hello")).json()["session_id"]
    await chat(client, alice, "how much is a plan?", session_id=session_id)
    response = await client.get(f"/api/chatbot/sessions/{session_id}", headers=alice.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["session_id"] == session_id
    messages = body["messages"]
    assert [(m["message_type"], m["intent"]) for m in messages] == [
        ("user", "greeting"),
        ("bot", "greeting"),
        ("user", "pricing"),
        ("bot", "pricing"),
    ]
    assert messages[0]["message"] == "hello" and messages[3]["source"] == "builtin"
    assert [m["id"] for m in messages] == sorted(m["id"] for m in messages)


@pytest.mark.parametrize("raw", ["not-a-uuid", "123", "x" * 60])
async def test_a_session_id_that_is_not_a_uuid_is_404(client, alice, raw: str) -> None:  # type: ignore[no-untyped-def]
    response = await client.get(f"/api/chatbot/sessions/{raw}", headers=alice.headers)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_unknown_session_is_404_and_uppercase_uuid_is_found(client, alice) -> None:  # type: ignore[no-untyped-def]
    response = await client.get(f"/api/chatbot/sessions/{uuid.uuid4()}", headers=alice.headers)
    assert response.status_code == 404
    session_id = (await chat(client, alice, "hi")).json()["session_id"]
    response = await client.get(f"/api/chatbot/sessions/{session_id.upper()}", headers=alice.headers)
    assert response.status_code == 200
    assert len(response.json()["messages"]) == 2


async def test_sessions_listing_counts_and_order(client, alice, bob) -> None:  # type: ignore[no-untyped-def]
    older = (await chat(client, alice, "first session question")).json()["session_id"]
    newer = (await chat(client, alice, "second session")).json()["session_id"]
    await chat(client, alice, "follow-up", session_id=older)  # `older` now has the latest activity
    await chat(client, bob, "bob's own session")
    response = await client.get("/api/chatbot/sessions", headers=alice.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next_cursor"] is None
    assert [(s["session_id"], s["message_count"], s["first_message"]) for s in body["items"]] == [
        (older, 4, "first session question"),
        (newer, 2, "second session"),
    ]
    async with session() as db:
        latest = (
            await db.scalars(
                select(ChatbotMessage.created_at)
                .where(ChatbotMessage.session_id == uuid.UUID(older))
                .order_by(ChatbotMessage.id.desc())
            )
        ).first()
    assert latest is not None
    assert datetime.fromisoformat(body["items"][0]["last_message_at"]) == latest

    page = (await client.get("/api/chatbot/sessions?limit=1", headers=alice.headers)).json()
    assert [s["session_id"] for s in page["items"]] == [older] and page["next_cursor"]
    rest = await client.get(
        f"/api/chatbot/sessions?limit=1&cursor={page['next_cursor']}", headers=alice.headers
    )
    assert [s["session_id"] for s in rest.json()["items"]] == [newer]
    assert rest.json()["next_cursor"] is None


@pytest.mark.parametrize(
    ("query", "field"), [("limit=0", "limit"), ("limit=101", "limit"), ("cursor=garbage!", "cursor")]
)
async def test_sessions_listing_rejects_bad_query(client, alice, query: str, field: str) -> None:  # type: ignore[no-untyped-def]
    response = await client.get(f"/api/chatbot/sessions?{query}", headers=alice.headers)
    assert response.status_code == 422
    assert ["query", field] in [item["loc"] for item in response.json()["error"]["details"]]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"message": ""}, "message"),
        ({"message": "   "}, "message"),
        ({"message": "x" * 4001}, "message"),
        ({"message": "hi", "session_id": "nope"}, "session_id"),
        ({"message": "hi", "project_id": 0}, "project_id"),
        ({"message": "hi", "extra": 1}, "extra"),
        ({}, "message"),
    ],
)
async def test_bad_chat_input_is_422(client, alice, payload: dict, field: str) -> None:  # type: ignore[no-untyped-def]
    response = await client.post("/api/chatbot", json=payload, headers=alice.headers)
    assert response.status_code == 422
    assert ["body", field] in [item["loc"] for item in response.json()["error"]["details"]]
    async with session() as db:
        assert (await db.scalars(select(ChatbotMessage))).all() == []


async def test_chat_requires_authentication(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.post("/api/chatbot", json={"message": "hi"})
    assert response.status_code == 401


async def test_project_context_must_be_own_project(client, alice, bob) -> None:  # type: ignore[no-untyped-def]
    project = await client.post(
        "/api/projects", json={"title": "Smart Farm", "category": "iot"}, headers=alice.headers
    )
    project_id = project.json()["id"]
    assert (await chat(client, bob, "hi", project_id=project_id)).status_code == 404
    response = await chat(client, alice, "hi", project_id=project_id)
    assert response.status_code == 200
    assert "Smart Farm" in response.json()["reply"]
    rows = await session_rows(response.json()["session_id"])
    assert [row.project_id for row in rows] == [project_id, project_id]


async def test_idea_request_in_chat_stores_the_ideas(client, alice) -> None:  # type: ignore[no-untyped-def]
    response = await chat(client, alice, "Give me 4 beginner IoT project ideas for agriculture")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["intent"] == "idea_generation"
    async with session() as db:
        ideas = (await db.scalars(select(Idea).order_by(Idea.id))).all()
    assert len(ideas) == 4
    assert {idea.category for idea in ideas} == {"iot"}
    assert {idea.complexity for idea in ideas} == {"beginner"}
    assert {idea.source for idea in ideas} == {"builtin"}
    assert all(idea.user_id == alice.id for idea in ideas)
    assert all("Agriculture" in idea.title for idea in ideas)
    assert all(idea.title in body["reply"] for idea in ideas)
    rows = await session_rows(body["session_id"])
    assert_stored_pair(
        rows, alice.id, "Give me 4 beginner IoT project ideas for agriculture", "idea_generation", "builtin"
    )


async def test_idea_request_in_chat_with_failing_provider_is_fallback(client, alice, use_provider) -> None:  # type: ignore[no-untyped-def]
    use_provider()
    with respx.mock() as router:
        router.post(AI_URL).mock(return_value=httpx.Response(503))
        response = await chat(client, alice, "suggest some web project ideas")
    assert response.status_code == 200
    rows = await session_rows(response.json()["session_id"])
    assert rows[1].source == "fallback"
    async with session() as db:
        ideas = (await db.scalars(select(Idea))).all()
    assert len(ideas) == 3 and {idea.source for idea in ideas} == {"builtin"}


async def test_order_synopsis_and_meeting_replies_use_the_users_rows(client, alice, bob) -> None:  # type: ignore[no-untyped-def]
    await add_plans()
    project = await client.post(
        "/api/projects", json={"title": "Thesis", "category": "ml"}, headers=alice.headers
    )
    async with session() as db:
        plan = (await db.scalars(select(Plan).where(Plan.name == "Basic"))).one()
        db.add(Order(user_id=alice.id, plan_id=plan.id, amount_cents=99_900, currency="INR", status="paid"))
        db.add(Order(user_id=bob.id, plan_id=plan.id, amount_cents=99_900, currency="INR"))
        db.add(
            Synopsis(
                user_id=alice.id,
                project_id=project.json()["id"],
                title="Crop Yield Forecasting",
                abstract="…",
                status="under_review",
            )
        )
        db.add(
            Meeting(
                user_id=alice.id,
                scheduled_at=datetime(2099, 1, 5, 10, 30, tzinfo=UTC),
                duration_minutes=45,
                agenda="Review",
                status="confirmed",
                meeting_link="https://meet.example.test/abc",
            )
        )
        db.add(
            Meeting(
                user_id=alice.id,
                scheduled_at=datetime.now(UTC) - timedelta(days=3),
                duration_minutes=30,
                agenda="Past",
            )
        )
    orders = (await chat(client, alice, "What's the status of my order?")).json()
    assert orders["intent"] == "order_status"
    assert "Basic, INR 999.00 — paid" in orders["reply"]
    assert orders["reply"].count("Order #") == 1  # not bob's
    synopsis = (await chat(client, alice, "How do I write my synopsis?")).json()
    assert synopsis["intent"] == "synopsis_help"
    assert "abstract" in synopsis["reply"] and "“Crop Yield Forecasting”: under_review" in synopsis["reply"]
    meeting = (await chat(client, alice, "When is my meeting with the mentor?")).json()
    assert meeting["intent"] == "meeting"
    assert "Mon 05 Jan 2099 10:30 UTC, 45 min — confirmed" in meeting["reply"]
    assert "https://meet.example.test/abc" in meeting["reply"] and "Past" not in meeting["reply"]
    empty = (await chat(client, bob, "Show me my meetings")).json()
    assert "no upcoming meetings" in empty["reply"]


async def test_unknown_message_gets_the_menu(client, alice) -> None:  # type: ignore[no-untyped-def]
    response = await chat(client, alice, "What is the capital of France?")
    assert response.json()["intent"] == "other"
    assert "Project ideas" in response.json()["reply"]


async def test_chat_is_rate_limited_per_user(client, alice, bob) -> None:  # type: ignore[no-untyped-def]
    for number in range(30):
        assert (await chat(client, alice, f"hello {number}")).status_code == 200
    response = await chat(client, alice, "one too many")
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) >= 1
    assert (await chat(client, bob, "hello")).status_code == 200  # the limit is per user
    async with session() as db:
        stored = (await db.scalars(select(ChatbotMessage).where(ChatbotMessage.user_id == alice.id))).all()
    assert len(stored) == 60


def test_modules_that_do_not_call_the_provider_do_not_import_httpx() -> None:
    code = (
        "import sys\n"
        "import api.chatbot, api.ideas, lib.assistant.provider, lib.assistant.chat, lib.assistant.ideas\n"
        "assert 'httpx' not in sys.modules, 'httpx imported at cold start'\n"
    )
    result = subprocess.run(
        [PYTHON, "-c", code], cwd=ROOT, env=subprocess_env(), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


async def _open_transactions(database_url: str) -> int:
    """Connections of this database sitting idle inside a transaction (holding a pooled slot)."""
    import asyncpg

    from lib.core.db_url import database_target

    target = database_target(database_url)
    dsn = target.url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn, statement_cache_size=0)
    try:
        return await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state = 'idle in transaction' AND pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()


async def test_no_transaction_stays_open_while_the_provider_thinks(
    client, alice, use_provider, database_url
) -> None:  # type: ignore[no-untyped-def]
    use_provider()
    seen: list[int] = []

    async def slow_answer(request: httpx.Request) -> httpx.Response:
        seen.append(await _open_transactions(database_url))
        return completion("Plans start at 2,999.")

    with respx.mock(assert_all_called=True) as router:
        router.post(AI_URL).mock(side_effect=slow_answer)
        response = await chat(client, alice, "How much does the premium plan cost?")
    assert response.status_code == 200 and response.json()["reply"] == "Plans start at 2,999."
    assert seen == [0]  # the request's reads were committed and its connection returned first
    rows = await session_rows(response.json()["session_id"])
    assert [row.message_type for row in rows] == ["user", "bot"]
