"""What the tests/functions/test_synopsis*.py files share: the synopsis statuses, shape and row lookups."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from lib.core.db import session
from lib.models.synopsis import Synopsis
from tests.support import Account, make_project

STATUSES = ("draft", "submitted", "under_review", "approved", "rejected")
REVIEW = ("under_review", "approved", "rejected")
OWNER_ALLOWED = {("draft", "submitted")}
ADMIN_ALLOWED = {
    ("draft", "submitted"),
    ("submitted", "under_review"),
    ("under_review", "approved"),
    ("under_review", "rejected"),
}
SYNOPSIS_KEYS = {
    "id",
    "user_id",
    "project_id",
    "title",
    "abstract",
    "objectives",
    "methodology",
    "status",
    "feedback",
    "reviewed_by",
    "reviewed_at",
    "created_at",
    "updated_at",
}


async def make_synopsis(client: httpx.AsyncClient, account: Account, **fields: Any) -> dict:
    if "project_id" not in fields:
        fields["project_id"] = await make_project(client, account)
    body = {"title": "Soil sensing", "abstract": "Sensors tell when to water.", **fields}
    response = await client.post("/api/synopsis", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def synopsis_row(synopsis_id: int) -> Synopsis:
    async with session() as db:
        row = await db.get(Synopsis, synopsis_id)
    assert row is not None
    return row


async def synopsis_count() -> int:
    async with session() as db:
        return len((await db.scalars(select(Synopsis.id))).all())
