"""meetings: a mentor meeting a student requests and an admin confirms."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lib.models import projects, users  # noqa: F401  (referenced tables: their foreign keys resolve)
from lib.models.base import Base, created_at_column, id_column, one_of, updated_at_column
from lib.models.statuses import MEETING_STATUSES


class Meeting(Base):
    __tablename__ = "meetings"
    __table_args__ = (
        one_of("status", MEETING_STATUSES),
        CheckConstraint("duration_minutes BETWEEN 15 AND 180", name="duration_range"),
        Index("ix_meetings_user_id_status_created_at", "user_id", "status", "created_at"),
        Index("ix_meetings_user_id_created_at", "user_id", "created_at"),
        Index("ix_meetings_user_id_scheduled_at", "user_id", "scheduled_at"),
        Index("ix_meetings_status_scheduled_at", "status", "scheduled_at"),
        Index("ix_meetings_status_created_at", "status", "created_at"),
        Index("ix_meetings_created_at", "created_at"),
        Index("ix_meetings_project_id", "project_id"),
    )

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    scheduled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    duration_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    agenda: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, server_default="requested")
    meeting_link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
