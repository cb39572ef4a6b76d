"""What the tests/functions/test_projects*.py files share: a project body and row lookups."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from lib.core.db import session
from lib.models.projects import Project
from tests.support import Account

PROJECT = {
    "title": "Smart irrigation",
    "description": "Soil moisture sensor network for small farms",
    "category": "iot",
    "tech_stack": ["python", "mqtt"],
    "deadline": "2027-03-31",
}


async def create(client: httpx.AsyncClient, owner: Account, **fields: Any) -> dict[str, Any]:
    response = await client.post("/api/projects", json={**PROJECT, **fields}, headers=owner.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def row(project_id: int) -> Project | None:
    async with session() as db:
        return await db.get(Project, project_id)


async def all_rows() -> list[Project]:
    async with session() as db:
        return list(await db.scalars(select(Project).order_by(Project.id)))


async def listed(client: httpx.AsyncClient, who: Account, **params: Any) -> list[int]:
    response = await client.get("/api/projects", params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"items", "next_cursor"}
    return [item["id"] for item in body["items"]]
