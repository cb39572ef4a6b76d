"""chatbot_history: every chatbot message, the user's and the bot's, by session."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from lib.models.base import Base, created_at_column, id_column, one_of
from lib.models.statuses import MESSAGE_TYPES


class ChatbotMessage(Base):
    __tablename__ = "chatbot_history"
    __table_args__ = (
        one_of("message_type", MESSAGE_TYPES),
        Index("ix_chatbot_history_user_id_session_id_created_at", "user_id", "session_id", "created_at"),
        Index("ix_chatbot_history_session_id_created_at", "session_id", "created_at"),
        Index("ix_chatbot_history_intent_created_at", "intent", "created_at"),
        Index("ix_chatbot_history_created_at", "created_at"),
        Index("ix_chatbot_history_project_id", "project_id"),
    )

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    session_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    message_type: Mapped[str] = mapped_column(String(10), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    intent: Mapped[str | None] = mapped_column(String(50))
    response_time_ms: Mapped[int | None] = mapped_column(Integer)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    source: Mapped[str | None] = mapped_column(String(20))
    model: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = created_at_column()
