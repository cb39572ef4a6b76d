"""What the tests/functions/test_orders*.py files share: the order's statuses, shape and row lookups."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from lib.core.db import session
from lib.models.orders import Order
from tests.support import Account

STATUSES = ("pending", "paid", "in_progress", "completed", "cancelled")
ADMIN_ALLOWED = {
    ("pending", "paid"),
    ("paid", "in_progress"),
    ("in_progress", "completed"),
    ("pending", "cancelled"),
    ("paid", "cancelled"),
    ("in_progress", "cancelled"),
}
OWNER_ALLOWED = {("pending", "cancelled")}
ORDER_KEYS = {
    "id",
    "user_id",
    "plan_id",
    "project_id",
    "amount_cents",
    "currency",
    "status",
    "created_at",
    "updated_at",
}


async def make_order(client: httpx.AsyncClient, account: Account, plan_id: int, **extra: Any) -> dict:
    response = await client.post("/api/orders", json={"plan_id": plan_id, **extra}, headers=account.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def order_row(order_id: int) -> Order | None:
    async with session() as db:
        return await db.get(Order, order_id)


async def order_count() -> int:
    async with session() as db:
        return len((await db.scalars(select(Order.id))).all())
