"""idea_generation_history: every generated project idea, what a student picked and rated."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, SmallInteger, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from lib.models import projects, users  # noqa: F401  (referenced tables: their foreign keys resolve)
from lib.models.base import Base, created_at_column, id_column, one_of, updated_at_column
from lib.models.statuses import COMPLEXITIES, IDEA_SOURCES


class Idea(Base):
    __tablename__ = "idea_generation_history"
    __table_args__ = (
        one_of("complexity", COMPLEXITIES),
        one_of("source", IDEA_SOURCES),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        CheckConstraint("refinement_count >= 0", name="refinement_count_non_negative"),
        Index(
            "ix_idea_generation_history_user_id_user_selected_created_at",
            "user_id",
            "user_selected",
            "created_at",
        ),
        Index("ix_idea_generation_history_user_id_created_at", "user_id", "created_at"),
        Index("ix_idea_generation_history_user_id_category_created_at", "user_id", "category", "created_at"),
        Index("ix_idea_generation_history_category_user_selected", "category", "user_selected"),
        Index("ix_idea_generation_history_created_at", "created_at"),
        Index("ix_idea_generation_history_project_id", "project_id"),
        Index("ix_idea_generation_history_parent_id", "parent_id"),
    )

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("idea_generation_history.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    category: Mapped[str] = mapped_column(String(50), nullable=False)
    tech_stack: Mapped[list[Any]] = mapped_column(JSONB, nullable=False, server_default=text("'[]'::jsonb"))
    complexity: Mapped[str] = mapped_column(String(20), nullable=False, server_default="intermediate")
    user_selected: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    refinement_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    source: Mapped[str] = mapped_column(String(20), nullable=False)
    model: Mapped[str | None] = mapped_column(String(100))
    prompt: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
