"""Admin reports: exact rows over a small data set with known answers, and their guards."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import insert

from lib.core.db import session
from lib.models.activity_logs import ActivityLog
from lib.models.chatbot_history import ChatbotMessage
from lib.models.idea_generation_history import Idea

NOW = datetime.now(UTC)


def ago(days: float = 0, hours: float = 0) -> datetime:
    return NOW - timedelta(days=days, hours=hours)


@pytest.fixture
async def dataset(client, alice, bob, admin):  # type: ignore[no-untyped-def]
    """Alice: 3 recent actions + 1 old; Bob: 2 recent (one failed, one error); chat and ideas."""
    session_a, session_b = uuid.uuid4(), uuid.uuid4()
    async with session() as db:
        await db.execute(
            insert(ActivityLog),
            [
                {"user_id": alice.id, "action": "create_project", "status": "success", "created_at": ago(1)},
                {"user_id": alice.id, "action": "create_project", "status": "success", "created_at": ago(2)},
                {"user_id": alice.id, "action": "login", "status": "failed", "created_at": ago(3)},
                {"user_id": alice.id, "action": "login", "status": "failed", "created_at": ago(40)},
                {"user_id": bob.id, "action": "create_order", "status": "error", "created_at": ago(1)},
                {"user_id": bob.id, "action": "login", "status": "failed", "created_at": ago(0, 2)},
            ],
        )
        await db.execute(
            insert(ChatbotMessage),
            [
                {
                    "user_id": alice.id,
                    "session_id": session_a,
                    "message_type": "user",
                    "message": "hi",
                    "intent": "greeting",
                    "created_at": ago(0, 1),
                },
                {
                    "user_id": alice.id,
                    "session_id": session_a,
                    "message_type": "bot",
                    "message": "hello",
                    "intent": "greeting",
                    "response_time_ms": 10,
                    "created_at": ago(0, 1),
                },
                {
                    "user_id": bob.id,
                    "session_id": session_b,
                    "message_type": "user",
                    "message": "price?",
                    "intent": "pricing",
                    "created_at": ago(0, 1),
                },
                {
                    "user_id": bob.id,
                    "session_id": session_b,
                    "message_type": "bot",
                    "message": "plans",
                    "intent": "pricing",
                    "response_time_ms": 30,
                    "created_at": ago(0, 1),
                },
                {
                    "user_id": bob.id,
                    "session_id": session_b,
                    "message_type": "bot",
                    "message": "plans",
                    "intent": "pricing",
                    "response_time_ms": 50,
                    "created_at": ago(0, 1),
                },
                {
                    "user_id": alice.id,
                    "session_id": session_a,
                    "message_type": "user",
                    "message": "old",
                    "intent": "other",
                    "created_at": ago(2, 1),
                },
                {
                    "user_id": alice.id,
                    "session_id": session_a,
                    "message_type": "bot",
                    "message": "old",
                    "intent": "other",
                    "response_time_ms": 100,
                    "created_at": ago(90),
                },
            ],
        )
        idea = {"description": "d", "tech_stack": [], "complexity": "beginner", "source": "builtin"}
        await db.execute(
            insert(Idea),
            [
                {
                    **idea,
                    "user_id": alice.id,
                    "title": "ML one",
                    "category": "ml",
                    "user_selected": True,
                    "created_at": ago(3),
                },
                {
                    **idea,
                    "user_id": alice.id,
                    "title": "ML two",
                    "category": "ml",
                    "user_selected": False,
                    "created_at": ago(2),
                },
                {
                    **idea,
                    "user_id": bob.id,
                    "title": "ML three",
                    "category": "ml",
                    "user_selected": False,
                    "created_at": ago(1),
                },
                {
                    **idea,
                    "user_id": bob.id,
                    "title": "IoT one",
                    "category": "iot",
                    "user_selected": True,
                    "created_at": ago(0, 1),
                },
            ],
        )
    return {"alice": alice, "bob": bob, "admin": admin}


async def report(client: httpx.AsyncClient, admin, name: str, query: str = "") -> dict:
    response = await client.get(f"/api/admin/stats/{name}{query}", headers=admin.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["report"] == name
    return body


async def test_active_users(client, dataset) -> None:
    alice, bob, admin = dataset["alice"], dataset["bob"], dataset["admin"]
    body = await report(client, admin, "active-users")
    assert body["params"] == {"days": 7, "limit": 10}
    assert body["rows"] == [
        {"user_id": alice.id, "email": alice.email, "actions": 3},
        {"user_id": bob.id, "email": bob.email, "actions": 2},
    ]
    top = await report(client, admin, "active-users", "?days=60&limit=1")
    assert top["rows"] == [{"user_id": alice.id, "email": alice.email, "actions": 4}]


async def test_failed_actions(client, dataset) -> None:
    body = await report(client, dataset["admin"], "failed-actions", "?days=7")
    assert body["rows"] == [
        {"action": "login", "status": "failed", "count": 2},
        {"action": "create_order", "status": "error", "count": 1},
    ]


async def test_chatbot_daily(client, dataset) -> None:
    body = await report(client, dataset["admin"], "chatbot-daily", "?days=30")
    today_rows = [r for r in body["rows"] if r["date"] == ago(0, 1).date().isoformat()]
    assert today_rows == [{"date": ago(0, 1).date().isoformat(), "messages": 5, "unique_users": 2}]
    assert sum(r["messages"] for r in body["rows"]) == 6  # the 90-day-old message is outside the window
    assert [r["date"] for r in body["rows"]] == sorted((r["date"] for r in body["rows"]), reverse=True)


async def test_chatbot_response_times(client, dataset) -> None:
    body = await report(client, dataset["admin"], "chatbot-response-times")
    assert body["rows"] == [
        {"intent": "pricing", "avg_response_ms": 40.0, "p95_response_ms": 49.0, "count": 2},
        {"intent": "greeting", "avg_response_ms": 10.0, "p95_response_ms": 10.0, "count": 1},
    ]


async def test_idea_categories(client, dataset) -> None:
    body = await report(client, dataset["admin"], "idea-categories")
    assert body["params"] == {}
    assert body["rows"] == [
        {"category": "ml", "total_ideas": 3, "selected_ideas": 1, "selection_rate": 0.3333},
        {"category": "iot", "total_ideas": 1, "selected_ideas": 1, "selection_rate": 1.0},
    ]


async def test_recent_ideas(client, dataset) -> None:
    body = await report(client, dataset["admin"], "recent-ideas", "?limit=2")
    assert [(r["title"], r["user_selected"]) for r in body["rows"]] == [
        ("IoT one", True),
        ("ML three", False),
    ]
    assert body["rows"][0]["user_id"] == dataset["bob"].id


@pytest.mark.parametrize("query", ["?days=0", "?days=366", "?days=abc", "?limit=0", "?limit=101"])
async def test_parameters_are_validated(client, admin, query: str) -> None:
    response = await client.get(f"/api/admin/stats/active-users{query}", headers=admin.headers)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"][0] == "query"


async def test_reports_are_for_admins_only(client, alice) -> None:
    for name in (
        "active-users",
        "failed-actions",
        "chatbot-daily",
        "chatbot-response-times",
        "idea-categories",
        "recent-ideas",
    ):
        assert (await client.get(f"/api/admin/stats/{name}", headers=alice.headers)).status_code == 403
        assert (await client.get(f"/api/admin/stats/{name}")).status_code == 401


async def test_unknown_report_is_404(client, admin) -> None:
    response = await client.get("/api/admin/stats/everything", headers=admin.headers)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
