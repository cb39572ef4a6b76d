"""What the tests/functions/test_admin_requests*.py files share: a request body, calls and row lookups."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from lib.core.db import session
from lib.models.admin_requests import AdminRequest

MESSAGE = "Please extend my project deadline"


async def create(client: httpx.AsyncClient, account: Any, **fields: Any) -> dict[str, Any]:
    body = {"request_type": "deadline", "message": MESSAGE, **fields}
    response = await client.post("/api/admin-requests", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def stored(request_id: int) -> AdminRequest:
    async with session() as db:
        row = await db.get(AdminRequest, request_id)
    assert row is not None
    return row


async def count_requests() -> int:
    async with session() as db:
        return await db.scalar(select(func.count()).select_from(AdminRequest))


def patch_request(client: httpx.AsyncClient, request_id: int, account: Any, body: dict) -> Any:
    return client.patch(f"/api/admin-requests/{request_id}", json=body, headers=account.headers)
