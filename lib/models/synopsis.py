"""synopsis: a project synopsis submitted for admin review."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lib.models import projects, users  # noqa: F401  (referenced tables: their foreign keys resolve)
from lib.models.base import Base, created_at_column, id_column, one_of, updated_at_column
from lib.models.statuses import SYNOPSIS_STATUSES


class Synopsis(Base):
    __tablename__ = "synopsis"
    __table_args__ = (
        one_of("status", SYNOPSIS_STATUSES),
        Index("ix_synopsis_user_id_status_created_at", "user_id", "status", "created_at"),
        Index("ix_synopsis_user_id_created_at", "user_id", "created_at"),
        Index("ix_synopsis_status_created_at", "status", "created_at"),
        Index("ix_synopsis_created_at", "created_at"),
        Index("ix_synopsis_project_id", "project_id"),
    )

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    abstract: Mapped[str] = mapped_column(Text, nullable=False)
    objectives: Mapped[str | None] = mapped_column(Text)
    methodology: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), nullable=False, server_default="draft")
    feedback: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
