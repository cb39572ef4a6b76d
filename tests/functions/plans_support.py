"""What the tests/functions/test_plans*.py files share: the plan's shape, an admin's create, row lookups."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from lib.core.db import session
from lib.models.plans import Plan

PLAN_FIELDS = {
    "id",
    "name",
    "description",
    "price_cents",
    "currency",
    "features",
    "is_active",
    "created_at",
    "updated_at",
}


async def create_plan(client: httpx.AsyncClient, admin: Any, **fields: Any) -> dict[str, Any]:
    body = {"name": "Basic", "price_cents": 49_900, **fields}
    response = await client.post("/api/plans", json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def plan_rows() -> list[Plan]:
    async with session() as db:
        return list((await db.scalars(select(Plan).order_by(Plan.id))).all())


async def plan_row(plan_id: int) -> Plan | None:
    async with session() as db:
        return await db.get(Plan, plan_id)
