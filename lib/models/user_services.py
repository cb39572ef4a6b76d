"""user_services: a user's subscription to a service (one active per user and service)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from lib.models import projects, services, users  # noqa: F401  (referenced tables: their foreign keys resolve)
from lib.models.base import Base, created_at_column, id_column, one_of, updated_at_column
from lib.models.statuses import USER_SERVICE_STATUSES


class UserService(Base):
    __tablename__ = "user_services"
    __table_args__ = (
        one_of("status", USER_SERVICE_STATUSES),
        # Makes "already subscribed" a constraint, so two concurrent subscribes cannot both win.
        Index(
            "uq_user_services_one_active",
            "user_id",
            "service_id",
            unique=True,
            postgresql_where=text("status = 'active'"),
        ),
        Index("ix_user_services_user_id_status_created_at", "user_id", "status", "created_at"),
        Index("ix_user_services_user_id_created_at", "user_id", "created_at"),
        Index("ix_user_services_service_id", "service_id"),
        Index("ix_user_services_project_id", "project_id"),
    )

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="RESTRICT"), nullable=False)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), nullable=False, server_default="active")
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
