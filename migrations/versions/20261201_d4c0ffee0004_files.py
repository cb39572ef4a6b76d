"""files: documents of synopses and projects, their bytes in S3-compatible storage

Revision ID: d4c0ffee0004
Revises: f6c0ffee0006
Create Date: 2026-12-01 12:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d4c0ffee0004"
down_revision: str | None = "f6c0ffee0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONTENT_TYPES = (
    "'application/pdf', "
    "'application/vnd.openxmlformats-officedocument.wordprocessingml.document', "
    "'application/vnd.openxmlformats-officedocument.presentationml.presentation', "
    "'application/zip', 'image/png', 'image/jpeg'"
)


def upgrade() -> None:
    # A new table: nothing reads it yet, so no lock waits on it.
    op.create_table(
        "files",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("entity_id", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="pending", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'ready', 'deleting')", name=op.f("ck_files_status_valid")),
        sa.CheckConstraint("purpose IN ('synopsis', 'project')", name=op.f("ck_files_purpose_valid")),
        sa.CheckConstraint(f"content_type IN ({CONTENT_TYPES})", name=op.f("ck_files_content_type_valid")),
        sa.CheckConstraint("size_bytes > 0", name=op.f("ck_files_size_bytes_positive")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_files_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_files")),
        sa.UniqueConstraint("storage_key", name="uq_files_storage_key"),
    )
    op.create_index("ix_files_user_id_created_at", "files", ["user_id", "created_at"], unique=False)
    op.create_index(
        "ix_files_purpose_entity_id_created_at", "files", ["purpose", "entity_id", "created_at"], unique=False
    )
    op.create_index("ix_files_status_created_at", "files", ["status", "created_at"], unique=False)
    op.create_index("ix_files_created_at", "files", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_files_created_at", table_name="files")
    op.drop_index("ix_files_status_created_at", table_name="files")
    op.drop_index("ix_files_purpose_entity_id_created_at", table_name="files")
    op.drop_index("ix_files_user_id_created_at", table_name="files")
    op.drop_table("files")
