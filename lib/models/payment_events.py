"""payment_events: every provider event received, once each (unique per provider and event id)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lib.models.base import Base, created_at_column, id_column, one_of
from lib.models.statuses import PAYMENT_OUTCOMES, PAYMENT_PROVIDERS


class PaymentEvent(Base):
    """Inserted in the unit of work that applies it: a redelivery finds its row and changes nothing."""

    __tablename__ = "payment_events"
    __table_args__ = (
        one_of("provider", PAYMENT_PROVIDERS),
        one_of("outcome", PAYMENT_OUTCOMES),
        UniqueConstraint("provider", "event_id", name="uq_payment_events_provider_event_id"),
    )

    id: Mapped[int] = id_column()
    provider: Mapped[str] = mapped_column(String(20), nullable=False)
    # The provider's id of the event (Razorpay's X-Razorpay-Event-Id, Stripe's evt_…); the
    # checkout verification, which has no event, uses `verify:<payment id>`.
    event_id: Mapped[str] = mapped_column(String(255), nullable=False)
    event_type: Mapped[str] = mapped_column(String(100), nullable=False)
    # No foreign key: an event for an order we do not know is still recorded.
    order_id: Mapped[int | None] = mapped_column(BigInteger)
    provider_order_id: Mapped[str | None] = mapped_column(String(255))
    provider_payment_id: Mapped[str | None] = mapped_column(String(255))
    amount_cents: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str | None] = mapped_column(String(3))
    outcome: Mapped[str] = mapped_column(String(10), nullable=False)
    created_at: Mapped[datetime] = created_at_column()
