"""Schemas for plans: what a student can buy, with its price and feature list."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from lib.schemas.common import Currency, Input, ListQuery, Patch, Timestamps

PlanName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Feature = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# Strict: money is a JSON integer, never a string or float that happens to parse as one.
PriceCents = Annotated[int, Field(strict=True, ge=0, le=100_000_000)]


class PlanCreate(Input):
    name: PlanName
    description: str = Field("", max_length=2000)
    price_cents: PriceCents
    currency: Currency = "INR"
    features: list[Feature] = Field(default_factory=list, max_length=30)
    is_active: bool = Field(True, strict=True)


class PlanUpdate(Patch):
    name: PlanName | None = None
    description: str | None = Field(None, max_length=2000)
    price_cents: PriceCents | None = None
    currency: Currency | None = None
    features: list[Feature] | None = Field(None, max_length=30)
    is_active: bool | None = Field(None, strict=True)


class PlanQuery(ListQuery):
    include_inactive: bool = Field(False, description="Admins only: list inactive plans too")


class PlanOut(Timestamps):
    id: int
    name: str
    description: str
    price_cents: int
    currency: str
    features: list[str]
    is_active: bool
