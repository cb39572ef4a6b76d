"""Schemas for the chatbot: a message in, the reply out, sessions and their messages."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from lib.schemas.common import DbId, Input, ListQuery, Output


class ChatIn(Input):
    message: str = Field(min_length=1, max_length=4000)
    session_id: uuid.UUID | None = Field(None, description="Continue this session; omit to start one")
    project_id: DbId | None = Field(None, description="One of your projects, as context")


class ChatOut(Output):
    session_id: uuid.UUID
    reply: str
    intent: str
    response_time_ms: int


class SessionQuery(ListQuery):
    """`limit` and `cursor`: sessions come newest activity first."""


class SessionOut(Output):
    session_id: uuid.UUID
    message_count: int
    last_message_at: datetime
    first_message: str = Field(description="The session's first message, cut to 200 characters")


class ChatMessageOut(Output):
    id: int
    user_id: int
    session_id: uuid.UUID
    message_type: str
    message: str
    intent: str | None
    response_time_ms: int | None
    project_id: int | None
    source: str | None
    model: str | None
    created_at: datetime


class SessionMessagesOut(Output):
    session_id: uuid.UUID
    messages: list[ChatMessageOut]
