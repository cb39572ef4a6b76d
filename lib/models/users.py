"""users: accounts, students and admins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, Index, Integer, SmallInteger, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from lib.models.base import Base, created_at_column, id_column, updated_at_column


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        Index("ix_users_email_lower", func.lower(text("email")), unique=True),
        Index("ix_users_email_is_admin", "email", "is_admin"),
        Index("ix_users_created_at", "created_at"),
        CheckConstraint("graduation_year BETWEEN 1900 AND 2200", name="graduation_year_range"),
        CheckConstraint("token_version >= 0", name="token_version_non_negative"),
    )

    id: Mapped[int] = id_column()
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    full_name: Mapped[str] = mapped_column(String(200), nullable=False)
    is_admin: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    phone: Mapped[str | None] = mapped_column(String(32))
    college: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(200))
    graduation_year: Mapped[int | None] = mapped_column(SmallInteger)
    email_notifications: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # In every access token as `ver`: bumping it revokes every token issued before.
    token_version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None
