"""admin_requests: a question or request a user sends to the admins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lib.models import users  # noqa: F401  (referenced tables: their foreign keys resolve)
from lib.models.base import Base, created_at_column, id_column, one_of, updated_at_column
from lib.models.statuses import ADMIN_REQUEST_STATUSES


class AdminRequest(Base):
    __tablename__ = "admin_requests"
    __table_args__ = (
        one_of("status", ADMIN_REQUEST_STATUSES),
        Index("ix_admin_requests_user_id_status_created_at", "user_id", "status", "created_at"),
        Index("ix_admin_requests_user_id_created_at", "user_id", "created_at"),
        Index("ix_admin_requests_status_created_at", "status", "created_at"),
        Index("ix_admin_requests_created_at", "created_at"),
    )

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    request_type: Mapped[str] = mapped_column(String(50), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, server_default="open")
    admin_response: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
