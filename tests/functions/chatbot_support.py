"""What the tests/functions/test_chatbot*.py files share: a chat call, the stored pair, demo plans."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select

from lib.core.db import session
from lib.models.chatbot_history import ChatbotMessage
from lib.models.plans import Plan
from tests.support import Account


async def chat(client: httpx.AsyncClient, account: Account, message: str, **extra: object) -> httpx.Response:
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
