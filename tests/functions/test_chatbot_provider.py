"""The chatbot with an AI provider: session context sent, any failure falls back to built-in."""

from __future__ import annotations

import json
import subprocess

import httpx
import pytest
import respx
from sqlalchemy import select
from structlog.testing import capture_logs

from devkit.processes import PYTHON, ROOT, subprocess_env
from lib.core.db import session
from lib.models.idea_generation_history import Idea
from tests.functions.ai_support import AI_KEY, AI_MODEL, AI_URL, completion
from tests.functions.chatbot_support import add_plans, assert_stored_pair, chat, session_rows


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
