"""What the tests/system/test_bad_input*.py files share: the data tables, a valid project, the 422 check."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text

from lib.core.db import session
from tests.support import Account, assert_error

# The tables a request writes data to (the activity log and rate-limit buckets record failures too).
DATA_TABLES = (
    "users",
    "projects",
    "plans",
    "services",
    "user_services",
    "orders",
    "synopsis",
    "meetings",
    "admin_requests",
    "chatbot_history",
    "idea_generation_history",
)
JSON = {"content-type": "application/json"}
MIB = 1024 * 1024
VALID_PROJECT = {"title": "Smart irrigation", "category": "iot"}


def assert_validation_error(response: httpx.Response, *locs: list[Any]) -> list[dict[str, Any]]:
    """A 422 whose details name (at least) each of `locs`, as `{loc, msg, type}` items."""
    details = assert_error(response, 422, "validation_error")["details"]
    assert details and all(set(item) == {"loc", "msg", "type"} for item in details)
    for loc in locs:
        assert loc in [item["loc"] for item in details], details
    return details


async def row_counts() -> dict[str, int]:
    async with session() as db:
        counts = (
            await db.execute(text("SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in DATA_TABLES)))
        ).one()
    return dict(zip(DATA_TABLES, counts, strict=True))


async def create_project(client: httpx.AsyncClient, account: Account, **fields: Any) -> dict[str, Any]:
    response = await client.post("/api/projects", json={**VALID_PROJECT, **fields}, headers=account.headers)
    assert response.status_code == 201, response.text
    return response.json()
