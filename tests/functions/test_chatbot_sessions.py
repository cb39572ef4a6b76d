"""The chatbot's sessions: owned by their user, listed with counts, messages oldest first."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from sqlalchemy import select

from lib.core.db import session
from lib.models.activity_logs import ActivityLog
from lib.models.chatbot_history import ChatbotMessage
from tests.functions.chatbot_support import chat, session_rows


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
