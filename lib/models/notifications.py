"""notifications: what a user is told about a change to their rows (or, for admins, to anyone's)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from lib.models import users  # noqa: F401  (referenced table: its foreign key resolves)
from lib.models.base import Base, created_at_column, id_column, one_of
from lib.models.statuses import NOTIFICATION_KINDS


class Notification(Base):
    """Written by the same statement as the change it tells of, so neither exists without the other."""

    __tablename__ = "notifications"
    __table_args__ = (
        one_of("kind", NOTIFICATION_KINDS),
        # The list, newest first, and its `unread` filter.
        Index("ix_notifications_user_id_created_at", "user_id", "created_at", "id"),
        # The polled count: an index-only scan over the unread rows of one user, nothing else.
        Index("ix_notifications_unread_user_id", "user_id", postgresql_where=text("read_at IS NULL")),
    )

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    entity_type: Mapped[str] = mapped_column(String(30), nullable=False)
    entity_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
