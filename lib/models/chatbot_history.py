"""chatbot_history (and its archive): every chatbot message, the user's and the bot's, by session."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from lib.models import projects, users  # noqa: F401  (referenced tables: their foreign keys resolve)
from lib.models.base import Base, created_at_column, id_column, one_of
from lib.models.statuses import MESSAGE_TYPES


class ChatbotColumns:
    """The columns a chatbot message has, whether live or archived."""

    session_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    message_type: Mapped[str] = mapped_column(String(10), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    intent: Mapped[str | None] = mapped_column(String(50))
    response_time_ms: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(String(20))
    model: Mapped[str | None] = mapped_column(String(100))


class ChatbotMessage(ChatbotColumns, Base):
    __tablename__ = "chatbot_history"
    __table_args__ = (
        one_of("message_type", MESSAGE_TYPES),
        Index(
            "ix_chatbot_history_user_id_session_id_created_at_id", "user_id", "session_id", "created_at", "id"
        ),
        Index("ix_chatbot_history_session_id_created_at", "session_id", "created_at"),
        Index("ix_chatbot_history_intent_created_at", "intent", "created_at"),
        Index("ix_chatbot_history_created_at", "created_at"),
        # chatbot-response-times reads the bot's timed answers of today and the window's first day.
        Index(
            "ix_chatbot_history_bot_created_at",
            "created_at",
            postgresql_include=["intent", "response_time_ms"],
            postgresql_where=text("message_type = 'bot' AND response_time_ms IS NOT NULL"),
        ),
        Index("ix_chatbot_history_project_id", "project_id"),
    )

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at_column()


class ChatbotMessageArchive(ChatbotColumns, Base):
    """Messages older than CHATBOT_RETENTION_DAYS, when that setting is on (ids kept)."""

    __tablename__ = "chatbot_history_archive"
    __table_args__ = (
        Index("ix_chatbot_history_archive_user_session_created", "user_id", "session_id", "created_at"),
        Index("ix_chatbot_history_archive_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    project_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
