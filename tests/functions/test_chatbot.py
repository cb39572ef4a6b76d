"""The chatbot: built-in replies from the user's own rows, both messages stored, input checked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lib.core.db import session
from lib.models.activity_logs import ActivityLog
from lib.models.chatbot_history import ChatbotMessage
from lib.models.idea_generation_history import Idea
from lib.models.meetings import Meeting
from lib.models.orders import Order
from lib.models.plans import Plan
from lib.models.synopsis import Synopsis
from tests.functions.chatbot_support import add_plans, assert_stored_pair, chat, session_rows


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
