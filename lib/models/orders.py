"""orders: a plan bought by a user, with the price copied at purchase time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lib.models import plans, projects, users  # noqa: F401  (referenced tables: their foreign keys resolve)
from lib.models.base import Base, created_at_column, id_column, one_of, updated_at_column
from lib.models.statuses import ORDER_STATUSES


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        one_of("status", ORDER_STATUSES),
        CheckConstraint("amount_cents >= 0", name="amount_cents_non_negative"),
        Index("ix_orders_user_id_status_created_at", "user_id", "status", "created_at"),
        Index("ix_orders_user_id_created_at", "user_id", "created_at"),
        Index("ix_orders_plan_id_status", "plan_id", "status"),
        Index("ix_orders_status_created_at", "status", "created_at"),
        Index("ix_orders_created_at", "created_at"),
        Index("ix_orders_project_id", "project_id"),
        # A provider's order or session id names one order: the webhook finds it by this.
        Index("ix_orders_provider_order_id", "provider_order_id", unique=True),
    )

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="RESTRICT"), nullable=False)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    amount_cents: Mapped[int] = mapped_column(Integer, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, server_default="pending")
    # Set by checkout (the provider's order or Checkout Session id) and by the payment that paid it.
    payment_provider: Mapped[str | None] = mapped_column(String(20))
    provider_order_id: Mapped[str | None] = mapped_column(String(255))
    provider_payment_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
