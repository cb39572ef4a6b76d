"""idempotency_keys: a money-bearing POST's `Idempotency-Key`, its request fingerprint and first response."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, SmallInteger, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from lib.models import users  # noqa: F401  (referenced table: its foreign key resolves)
from lib.models.base import Base


class IdempotencyKey(Base):
    """Claimed before the work runs, completed in the work's own transaction; kept 24 hours."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_created_at", "created_at"),)

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    # SHA-256 of method, path and body: the same key with another request is a 409.
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    # Null while the first request runs.
    status_code: Mapped[int | None] = mapped_column(SmallInteger)
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
