"""What the tests/functions/test_services*.py files share: service and subscription shapes, calls, rows."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from lib.core.db import session
from lib.models.services import Service
from lib.models.user_services import UserService

SERVICE_FIELDS = {
    "id",
    "name",
    "description",
    "price_cents",
    "currency",
    "is_active",
    "created_at",
    "updated_at",
}
SUBSCRIPTION_FIELDS = {"id", "user_id", "service_id", "project_id", "status", "created_at", "updated_at"}


async def create_service(client: httpx.AsyncClient, admin: Any, **fields: Any) -> dict[str, Any]:
    body = {"name": "Code review", "price_cents": 99_900, **fields}
    response = await client.post("/api/services", json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def subscribe(client: httpx.AsyncClient, account: Any, service_id: int, **body: Any) -> httpx.Response:
    return await client.post(f"/api/services/{service_id}/subscribe", json=body, headers=account.headers)


async def service_rows() -> list[Service]:
    async with session() as db:
        return list((await db.scalars(select(Service).order_by(Service.id))).all())


async def subscription_rows() -> list[UserService]:
    async with session() as db:
        return list((await db.scalars(select(UserService).order_by(UserService.id))).all())
