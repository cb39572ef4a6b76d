"""projects: a student's final-year project, searchable and soft-deletable."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Computed, Date, DateTime, ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from lib.models import users  # noqa: F401  (referenced tables: their foreign keys resolve)
from lib.models.base import Base, created_at_column, id_column, one_of, updated_at_column
from lib.models.statuses import PROJECT_STATUSES


class Project(Base):
    __tablename__ = "projects"
    __table_args__ = (
        one_of("status", PROJECT_STATUSES),
        Index("ix_projects_user_id_status_created_at", "user_id", "status", "created_at"),
        Index("ix_projects_user_id_created_at", "user_id", "created_at"),
        Index("ix_projects_category_status", "category", "status"),
        Index("ix_projects_status_created_at", "status", "created_at"),
        Index("ix_projects_created_at", "created_at"),
        Index("ix_projects_search", "search", postgresql_using="gin"),
    )

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    category: Mapped[str] = mapped_column(String(50), nullable=False)
    tech_stack: Mapped[list[Any]] = mapped_column(JSONB, nullable=False, server_default=text("'[]'::jsonb"))
    deadline: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), nullable=False, server_default="draft")
    # Only ever filtered on, never read: deferred, so no select or RETURNING carries it.
    search: Mapped[str] = mapped_column(
        TSVECTOR,
        Computed(
            "to_tsvector('english'::regconfig, (title::text || ' '::text) || description)", persisted=True
        ),
        deferred=True,
    )
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
