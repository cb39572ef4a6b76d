"""Chatbot: POST /api/chatbot, GET /api/chatbot/sessions, GET /api/chatbot/sessions/{session_id}."""

import lib.startup  # noqa: F401  (first: no garbage collection while this function loads)

import time
import uuid
from typing import Any

from sqlalchemy import func, select, tuple_

from lib.core.errors import NotFound
from lib.core.pagination import decode_cursor, encode_cursor
from lib.models.chatbot_history import ChatbotMessage
from lib.models.projects import Project
from lib.rules.ownership import get_owned
from lib.schemas.chatbot import (
    ChatIn,
    ChatMessageOut,
    ChatOut,
    SessionMessagesOut,
    SessionOut,
    SessionQuery,
)
from lib.schemas.common import Page
from lib.web.app import create_app, lambda_handler
from lib.web.endpoints import Call, get, post

# A session page shows its latest messages; the rate limit keeps sessions far below this anyway.
MAX_SESSION_MESSAGES = 500
PREVIEW_CHARS = 200


def _session_not_found(session_id: object) -> NotFound:
    return NotFound(f"Chatbot session {session_id} not found")


async def _history(call: Call[Any, Any], session_id: uuid.UUID, limit: int) -> list[ChatbotMessage]:
    """The session's last `limit` messages, oldest first; 404 if the session belongs to someone else."""
    foreign = await call.db.scalar(
        select(ChatbotMessage.id)
        .where(ChatbotMessage.session_id == session_id, ChatbotMessage.user_id != call.me.id)
        .limit(1)
    )
    if foreign is not None:
        raise _session_not_found(session_id)
    rows = await call.db.scalars(
        select(ChatbotMessage)
        .where(ChatbotMessage.session_id == session_id, ChatbotMessage.user_id == call.me.id)
        .order_by(ChatbotMessage.created_at.desc(), ChatbotMessage.id.desc())
        .limit(limit)
    )
    return list(reversed(rows.all()))


async def send_message(call: Call[ChatIn, None]) -> ChatOut:
    # Late imports (`python -X importtime`): the assistant (replies, intents, the idea catalogue and
    # generator, the provider call) and the rate limit, about 90 ms of a cold start, only for a message;
    # listing and reading sessions need none of them.
    from lib.assistant import chat, ideas
    from lib.assistant.intents import detect_intent
    from lib.core import ratelimit

    started = time.perf_counter()
    body = call.body
    session_id = body.session_id or uuid.uuid4()
    call.report(entity_id=str(session_id))
    project = None
    if body.project_id is not None:
        project = await get_owned(call.db, Project, body.project_id, call.me, admin_sees_all=False)
    history = await _history(call, session_id, chat.CONTEXT_MESSAGES) if body.session_id else []
    await ratelimit.spend(call.db, chat.MESSAGE_BUDGET, call.me.id)
    intent = detect_intent(body.message)
    answer = await chat.answer(call.db, call.me, body.message, intent, history, project)
    if answer.ideas:
        await ideas.store_ideas(
            call.db,
            user_id=call.me.id,
            project_id=body.project_id,
            category=answer.idea_category or chat.DEFAULT_CHAT_CATEGORY,
            prompt=body.message,
            ideas=answer.ideas,
        )
    elapsed_ms = int((time.perf_counter() - started) * 1000)
    common = {
        "user_id": call.me.id,
        "session_id": session_id,
        "intent": intent,
        "project_id": body.project_id,
    }
    # Flushed one by one so the question's id sorts before the answer's (both share the transaction time).
    call.db.add(ChatbotMessage(message_type="user", message=body.message, **common))
    await call.db.flush()
    call.db.add(
        ChatbotMessage(
            message_type="bot",
            message=answer.reply,
            response_time_ms=elapsed_ms,
            source=answer.source,
            model=answer.model,
            **common,
        )
    )
    await call.db.flush()
    call.report(intent=intent, source=answer.source)
    return ChatOut(session_id=session_id, reply=answer.reply, intent=intent, response_time_ms=elapsed_ms)


async def list_sessions(call: Call[None, SessionQuery]) -> Page[SessionOut]:
    query = call.query
    # The page of sessions first (by their last message, cursor and limit applied), then each one's
    # first message: one pk lookup per session on the page, not per session the user has.
    sessions = (
        select(
            ChatbotMessage.session_id,
            func.count().label("message_count"),
            func.max(ChatbotMessage.created_at).label("last_message_at"),
            func.min(ChatbotMessage.id).label("first_id"),  # the first row of a session is the user's
        )
        .where(ChatbotMessage.user_id == call.me.id)
        .group_by(ChatbotMessage.session_id)
    )
    if query.cursor:
        sessions = sessions.having(
            tuple_(func.max(ChatbotMessage.created_at), ChatbotMessage.session_id)
            < decode_cursor(query.cursor, uuid.UUID)
        )
    page = (
        sessions.order_by(func.max(ChatbotMessage.created_at).desc(), ChatbotMessage.session_id.desc())
        .limit(query.limit + 1)
        .subquery()
    )
    first = ChatbotMessage
    statement = (
        select(
            page.c.session_id,
            page.c.message_count,
            page.c.last_message_at,
            func.left(first.message, PREVIEW_CHARS).label("first_message"),
        )
        .join(first, first.id == page.c.first_id)
        .order_by(page.c.last_message_at.desc(), page.c.session_id.desc())
    )
    rows = (await call.db.execute(statement)).all()
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        next_cursor = encode_cursor(rows[-1].last_message_at, rows[-1].session_id)
    items = [SessionOut.model_validate(row, from_attributes=True) for row in rows]
    return Page[SessionOut](items=items, next_cursor=next_cursor)


def _parse_session_id(raw: str) -> uuid.UUID:
    # A path that cannot name a session is answered like a session that does not exist: 404.
    try:
        if len(raw) > 45:
            raise ValueError
        return uuid.UUID(raw)
    except ValueError:
        raise _session_not_found(raw[:45]) from None


async def get_session(call: Call[None, None]) -> SessionMessagesOut:
    session_id = _parse_session_id(call.params["session_id"])
    statement = select(ChatbotMessage).where(ChatbotMessage.session_id == session_id)
    if not call.me.is_admin:
        statement = statement.where(ChatbotMessage.user_id == call.me.id)
    statement = statement.order_by(ChatbotMessage.created_at.desc(), ChatbotMessage.id.desc())
    rows = list(reversed((await call.db.scalars(statement.limit(MAX_SESSION_MESSAGES))).all()))
    if not rows:
        raise _session_not_found(session_id)
    return SessionMessagesOut(
        session_id=session_id, messages=[ChatMessageOut.model_validate(row) for row in rows]
    )


ENDPOINTS = [
    post(
        "/api/chatbot",
        send_message,
        status=200,
        response=ChatOut,
        entity="chatbot_session",
        errors=(404, 422, 429),
        summary="Send a message to the chatbot",
    ),
    get(
        "/api/chatbot/sessions",
        list_sessions,
        response=Page[SessionOut],
        summary="List your chatbot sessions",
    ),
    get(
        "/api/chatbot/sessions/{session_id}",
        get_session,
        response=SessionMessagesOut,
        entity="chatbot_session",
        errors=(404,),
        summary="A chatbot session's messages, oldest first",
    ),
]

app = create_app(ENDPOINTS)
__getattr__ = lambda_handler(app)  # `handler` for AWS Lambda, built on first use
