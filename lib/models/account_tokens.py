"""account_tokens: single-use links mailed to a user (password reset, email verification), stored hashed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lib.models import users  # noqa: F401  (referenced table: its foreign key resolves)
from lib.models.base import Base, created_at_column, id_column, one_of
from lib.models.statuses import ACCOUNT_TOKEN_PURPOSES


class AccountToken(Base):
    """One live link per user and purpose: issuing a new one overwrites (so voids) the older one."""

    __tablename__ = "account_tokens"
    __table_args__ = (
        one_of("purpose", ACCOUNT_TOKEN_PURPOSES),
        # Confirming looks the link up by its hash; issuing upserts on (user, purpose).
        UniqueConstraint("token_hash", name="uq_account_tokens_token_hash"),
        UniqueConstraint("user_id", "purpose", name="uq_account_tokens_user_id_purpose"),
    )

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    purpose: Mapped[str] = mapped_column(String(30), nullable=False)
    # SHA-256 of the token, hex: the token itself is only ever in the mail.
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
