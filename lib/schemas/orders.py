"""Schemas for orders."""

from __future__ import annotations

from pydantic import Field

from lib.models.statuses import OrderStatus
from lib.schemas.common import Currency, DbId, Input, ListQuery, Timestamps


class OrderCreate(Input):
    plan_id: DbId
    project_id: DbId | None = None


class OrderStatusUpdate(Input):
    status: OrderStatus


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
