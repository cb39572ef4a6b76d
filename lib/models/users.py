"""users: accounts, students and admins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from lib.models.base import Base, created_at_column, id_column, updated_at_column


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        Index("ix_users_email_lower", func.lower(text("email")), unique=True),
        Index("ix_users_email_is_admin", "email", "is_admin"),
        Index("ix_users_created_at", "created_at"),
    )

    id: Mapped[int] = id_column()
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    full_name: Mapped[str] = mapped_column(String(200), nullable=False)
    is_admin: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
