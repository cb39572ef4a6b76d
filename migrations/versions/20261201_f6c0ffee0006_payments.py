"""payments: provider ids on orders, the refunded status, payment events, idempotency keys

Revision ID: f6c0ffee0006
Revises: c3c0ffee0003
Create Date: 2026-12-01 13:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f6c0ffee0006"
down_revision: str | None = "c3c0ffee0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = "status IN ('pending', 'paid', 'in_progress', 'completed', 'cancelled')"
NEW_STATUSES = "status IN ('pending', 'paid', 'in_progress', 'completed', 'cancelled', 'refunded')"


def upgrade() -> None:
    op.add_column("orders", sa.Column("payment_provider", sa.String(length=20), nullable=True))
    op.add_column("orders", sa.Column("provider_order_id", sa.String(length=255), nullable=True))
    op.add_column("orders", sa.Column("provider_payment_id", sa.String(length=255), nullable=True))
    op.create_index("ix_orders_provider_order_id", "orders", ["provider_order_id"], unique=True)
    op.drop_constraint(op.f("ck_orders_status_valid"), "orders", type_="check")
    op.create_check_constraint(op.f("ck_orders_status_valid"), "orders", NEW_STATUSES)
    op.create_table(
        "payment_events",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=True),
        sa.Column("provider_order_id", sa.String(length=255), nullable=True),
        sa.Column("provider_payment_id", sa.String(length=255), nullable=True),
        sa.Column("amount_cents", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "provider IN ('razorpay', 'stripe')", name=op.f("ck_payment_events_provider_valid")
        ),
        sa.CheckConstraint(
            "outcome IN ('applied', 'mismatch', 'ignored')", name=op.f("ck_payment_events_outcome_valid")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_events")),
        sa.UniqueConstraint("provider", "event_id", name="uq_payment_events_provider_event_id"),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_idempotency_keys_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_table("payment_events")
    op.execute("UPDATE orders SET status = 'completed' WHERE status = 'refunded'")
    op.drop_constraint(op.f("ck_orders_status_valid"), "orders", type_="check")
    op.create_check_constraint(op.f("ck_orders_status_valid"), "orders", OLD_STATUSES)
    op.drop_index("ix_orders_provider_order_id", table_name="orders")
    op.drop_column("orders", "provider_payment_id")
    op.drop_column("orders", "provider_order_id")
    op.drop_column("orders", "payment_provider")
