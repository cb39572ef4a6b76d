"""Plans: only admins rename, reprice and retire them; names stay unique."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from lib.core.db import session
from lib.models.activity_logs import ActivityLog
from tests.functions.plans_support import create_plan, plan_row
from tests.support import assert_error

# --- update -------------------------------------------------------------------------------


async def test_admin_updates_a_plan(client: httpx.AsyncClient, admin) -> None:
    plan = await create_plan(client, admin, features=["One"])
    response = await client.patch(
        f"/api/plans/{plan['id']}",
        json={"name": "Basic Plus", "price_cents": 59_900, "features": ["One", "Two"], "is_active": False},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {
        **plan,
        "name": "Basic Plus",
        "price_cents": 59_900,
        "features": ["One", "Two"],
        "is_active": False,
        "updated_at": body["updated_at"],
    }
    assert body["updated_at"] > plan["updated_at"]
    row = await plan_row(plan["id"])
    assert row is not None
    assert (row.name, row.price_cents, row.features, row.is_active) == (
        "Basic Plus",
        59_900,
        ["One", "Two"],
        False,
    )
    async with session() as db:
        log = await db.scalar(select(ActivityLog).where(ActivityLog.action == "update_plan"))
    assert log is not None and log.entity_id == str(plan["id"])
    assert log.details == {"fields": ["features", "is_active", "name", "price_cents"]}


async def test_empty_patch_changes_nothing(client: httpx.AsyncClient, admin) -> None:
    plan = await create_plan(client, admin)
    response = await client.patch(f"/api/plans/{plan['id']}", json={}, headers=admin.headers)
    assert response.status_code == 200 and response.json() == plan


async def test_rename_onto_a_taken_name_is_409(client: httpx.AsyncClient, admin) -> None:
    basic = await create_plan(client, admin, name="Basic")
    premium = await create_plan(client, admin, name="Premium", price_cents=100)
    response = await client.patch(
        f"/api/plans/{premium['id']}", json={"name": "Basic", "price_cents": 5}, headers=admin.headers
    )
    assert "Basic" in assert_error(response, 409, "conflict")["message"]
    row = await plan_row(premium["id"])
    assert row is not None and (row.name, row.price_cents) == ("Premium", 100)
    # Keeping its own name is no conflict.
    response = await client.patch(f"/api/plans/{basic['id']}", json={"name": "Basic"}, headers=admin.headers)
    assert response.status_code == 200, response.text


async def test_patch_unknown_plan_is_404(client: httpx.AsyncClient, admin) -> None:
    response = await client.patch("/api/plans/999", json={"price_cents": 5}, headers=admin.headers)
    assert_error(response, 404, "not_found")


async def test_patch_needs_an_admin(client: httpx.AsyncClient, admin, alice) -> None:
    plan = await create_plan(client, admin)
    url = f"/api/plans/{plan['id']}"
    assert_error(await client.patch(url, json={"price_cents": 1}, headers=alice.headers), 403, "forbidden")
    assert_error(await client.patch(url, json={"price_cents": 1}), 401, "unauthorized")
    row = await plan_row(plan["id"])
    assert row is not None and row.price_cents == plan["price_cents"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"price_cents": -5}, "price_cents"),
        ({"price_cents": None}, "price_cents"),
        ({"currency": "EURO"}, "currency"),
        ({"features": ["x" * 201]}, "features"),
        ({"features": None}, "features"),
        ({"is_active": None}, "is_active"),
        ({"is_active": "false"}, "is_active"),
        ({"id": 7}, "id"),
    ],
)
async def test_patch_validation(client: httpx.AsyncClient, admin, body: dict, field: str) -> None:
    plan = await create_plan(client, admin)
    response = await client.patch(f"/api/plans/{plan['id']}", json=body, headers=admin.headers)
    error = assert_error(response, 422, "validation_error")
    assert [item["loc"][:2] for item in error["details"]] == [["body", field]]
    row = await plan_row(plan["id"])
    assert row is not None and (row.name, row.price_cents, row.is_active) == ("Basic", 49_900, True)
