"""files: a document of a synopsis or project, its bytes in S3-compatible storage under `storage_key`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lib.models import users  # noqa: F401  (referenced table: its foreign key resolves)
from lib.models.base import Base, created_at_column, id_column, one_of, updated_at_column
from lib.models.statuses import FILE_CONTENT_TYPES, FILE_PURPOSES, FILE_STATUSES


class File(Base):
    """One upload: `pending` until its stored object was checked, then `ready`."""

    __tablename__ = "files"
    __table_args__ = (
        one_of("status", FILE_STATUSES),
        one_of("purpose", FILE_PURPOSES),
        one_of("content_type", FILE_CONTENT_TYPES),
        CheckConstraint("size_bytes > 0", name="size_bytes_positive"),
        UniqueConstraint("storage_key", name="uq_files_storage_key"),
        Index("ix_files_user_id_created_at", "user_id", "created_at"),
        Index("ix_files_purpose_entity_id_created_at", "purpose", "entity_id", "created_at"),
        # The cron's sweep: stale pending uploads and rows whose object is still to be removed.
        Index("ix_files_status_created_at", "status", "created_at"),
        Index("ix_files_created_at", "created_at"),
    )

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    purpose: Mapped[str] = mapped_column(String(20), nullable=False)
    # A synopsis or a project id, as `purpose` says (no foreign key: it points at one of two tables).
    entity_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    storage_key: Mapped[str] = mapped_column(String(300), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, server_default="pending")
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
