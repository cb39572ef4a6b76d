"""Schemas for orders."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from lib.models.statuses import OrderStatus
from lib.schemas.common import Currency, DbId, Input, ListQuery, Output, Timestamps

# What PATCH may ask for: `refunded` only through POST /api/orders/{id}/refund, which refunds the money.
OrderMoveStatus = Literal["pending", "paid", "in_progress", "completed", "cancelled"]


class OrderCreate(Input):
    plan_id: DbId
    project_id: DbId | None = None


class OrderStatusUpdate(Input):
    status: OrderMoveStatus


class OrderQuery(ListQuery):
    status: OrderStatus | None = None
    project_id: DbId | None = Field(None, description="Orders for one project")
    user_id: DbId | None = Field(None, description="Admins only: one user's orders")


class OrderOut(Timestamps):
    id: int
    user_id: int
    plan_id: int
    project_id: int | None
    amount_cents: int
    currency: Currency
    status: OrderStatus


class CheckoutOut(Output):
    """What the client needs to pay: Razorpay Checkout's options or Stripe's hosted page (the rest null)."""

    provider: Literal["razorpay", "stripe"]
    provider_order_id: str | None = Field(None, description="Razorpay: the `order_id` for Checkout")
    key_id: str | None = Field(None, description="Razorpay: the public key for Checkout")
    amount_cents: int | None = Field(None, description="Razorpay: the amount in the smallest unit")
    currency: str | None = Field(None, description="Razorpay: ISO 4217")
    checkout_url: str | None = Field(None, description="Stripe: the Checkout page to send the buyer to")


class RazorpayVerifyIn(Input):
    """The three values Razorpay Checkout's handler receives on success."""

    razorpay_order_id: str = Field(min_length=1, max_length=255)
    razorpay_payment_id: str = Field(min_length=1, max_length=255)
    razorpay_signature: str = Field(min_length=1, max_length=255)


class WebhookOut(Output):
    """How the event was taken: applied, mismatch (recorded, admins told), ignored, or duplicate."""

    received: bool
    outcome: Literal["applied", "mismatch", "ignored", "duplicate"]
