"""outbox: every email, written in the unit of work that caused it, then sent (and retried) from here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from lib.models.base import Base, created_at_column, id_column, one_of
from lib.models.statuses import OUTBOX_STATUSES


class OutboxMessage(Base):
    """One message, rendered when it was queued: a template change never alters what is queued."""

    __tablename__ = "outbox"
    __table_args__ = (
        one_of("status", OUTBOX_STATUSES),
        # One message per cause: a second enqueue with the same key is `ON CONFLICT DO NOTHING`.
        UniqueConstraint("dedup_key", name="uq_outbox_dedup_key"),
        UniqueConstraint("message_id", name="uq_outbox_message_id"),
        # The retry path's query: pending rows whose next attempt is due, oldest first.
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_outbox_user_id_created_at", "user_id", "created_at"),
    )

    id: Mapped[int] = id_column()
    # No foreign key: a message outlives its account (the "account deleted" mail is sent after it).
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    recipient: Mapped[str] = mapped_column(String(254), nullable=False)
    template: Mapped[str] = mapped_column(String(50), nullable=False)
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    text_body: Mapped[str] = mapped_column(Text, nullable=False)
    html_body: Mapped[str] = mapped_column(Text, nullable=False)
    message_id: Mapped[str] = mapped_column(String(200), nullable=False)
    dedup_key: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
