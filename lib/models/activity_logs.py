"""activity_logs (and its archive): who did what, when, from where, and how it went."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from lib.models import users  # noqa: F401  (referenced tables: their foreign keys resolve)
from lib.models.base import Base, created_at_column, id_column, one_of
from lib.models.statuses import ACTIVITY_STATUSES


class ActivityColumns:
    """The columns an activity row has, whether live or archived."""

    action: Mapped[str] = mapped_column(String(100), nullable=False)
    entity_type: Mapped[str | None] = mapped_column(String(50))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), nullable=False, server_default="success")
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    method: Mapped[str | None] = mapped_column(String(10))
    path: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    request_id: Mapped[str | None] = mapped_column(String(128))
    error_message: Mapped[str | None] = mapped_column(Text)


class ActivityLog(ActivityColumns, Base):
    __tablename__ = "activity_logs"
    __table_args__ = (
        one_of("status", ACTIVITY_STATUSES),
        Index("ix_activity_logs_user_id_action_created_at", "user_id", "action", "created_at"),
        Index("ix_activity_logs_user_id_created_at", "user_id", "created_at"),
        Index("ix_activity_logs_entity_type_entity_id", "entity_type", "entity_id"),
        Index("ix_activity_logs_status_action", "status", "action"),
        Index("ix_activity_logs_action_created_at_id", "action", "created_at", "id"),
        Index(
            "ix_activity_logs_status_created_at_action", "status", "created_at", postgresql_include=["action"]
        ),
        Index("ix_activity_logs_created_at", "created_at"),
    )

    id: Mapped[int] = id_column()
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at_column()


class ActivityLogArchive(ActivityColumns, Base):
    """Rows older than ACTIVITY_RETENTION_DAYS, moved here by the archive cron (ids kept)."""

    __tablename__ = "activity_logs_archive"
    __table_args__ = (
        Index("ix_activity_logs_archive_user_id_created_at", "user_id", "created_at"),
        Index("ix_activity_logs_archive_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # No foreign key: archived history outlives the rows it mentions.
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
