"""accounts: profile fields, verification and revocation on users; account_tokens

Revision ID: b2c0ffee0002
Revises: a1c0ffee0001
Create Date: 2026-12-01 10:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b2c0ffee0002"
down_revision: str | None = "a1c0ffee0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # users is read by every authenticated request: fail fast rather than queue behind a long query.
    op.execute("SET LOCAL lock_timeout = '5s'")
    # Nullable or with a server default: no table rewrite, and the old code keeps working.
    op.add_column("users", sa.Column("phone", sa.String(length=32), nullable=True))
    op.add_column("users", sa.Column("college", sa.String(length=200), nullable=True))
    op.add_column("users", sa.Column("department", sa.String(length=200), nullable=True))
    op.add_column("users", sa.Column("graduation_year", sa.SmallInteger(), nullable=True))
    op.add_column(
        "users", sa.Column("email_notifications", sa.Boolean(), server_default="true", nullable=False)
    )
    op.add_column("users", sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("users", sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("users", sa.Column("token_version", sa.Integer(), server_default="0", nullable=False))
    op.create_check_constraint(
        op.f("ck_users_graduation_year_range"), "users", "graduation_year BETWEEN 1900 AND 2200"
    )
    op.create_check_constraint(op.f("ck_users_token_version_non_negative"), "users", "token_version >= 0")
    op.create_table(
        "account_tokens",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "purpose IN ('password_reset', 'email_verification')",
            name=op.f("ck_account_tokens_purpose_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_account_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_tokens")),
        sa.UniqueConstraint("token_hash", name="uq_account_tokens_token_hash"),
        sa.UniqueConstraint("user_id", "purpose", name="uq_account_tokens_user_id_purpose"),
    )


def downgrade() -> None:
    op.drop_table("account_tokens")
    op.drop_constraint(op.f("ck_users_token_version_non_negative"), "users", type_="check")
    op.drop_constraint(op.f("ck_users_graduation_year_range"), "users", type_="check")
    for column in (
        "token_version",
        "last_login_at",
        "email_verified_at",
        "email_notifications",
        "graduation_year",
        "department",
        "college",
        "phone",
    ):
        op.drop_column("users", column)
