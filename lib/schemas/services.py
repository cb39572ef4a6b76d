"""Schemas for services and a user's subscriptions to them (user_services)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from lib.models.statuses import SubscriptionStatus
from lib.schemas.common import Currency, DbId, Input, ListQuery, Patch, Timestamps

ServiceName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
# Strict: money is a JSON integer, never a string or float that happens to parse as one.
PriceCents = Annotated[int, Field(strict=True, ge=0, le=100_000_000)]


class ServiceCreate(Input):
    name: ServiceName
    description: str = Field("", max_length=2000)
    price_cents: PriceCents
    currency: Currency = "INR"
    is_active: bool = Field(True, strict=True)


class ServiceUpdate(Patch):
    name: ServiceName | None = None
    description: str | None = Field(None, max_length=2000)
    price_cents: PriceCents | None = None
    currency: Currency | None = None
    is_active: bool | None = Field(None, strict=True)


class ServiceQuery(ListQuery):
    include_inactive: bool = Field(False, description="Admins only: list inactive services too")


class ServiceOut(Timestamps):
    id: int
    name: str
    description: str
    price_cents: int
    currency: str
    is_active: bool


class SubscribeIn(Input):
    project_id: DbId | None = Field(None, description="One of the caller's own projects")


class SubscriptionQuery(ListQuery):
    status: SubscriptionStatus | None = None


class UserServiceOut(Timestamps):
    id: int
    user_id: int
    service_id: int
    project_id: int | None
    status: SubscriptionStatus
