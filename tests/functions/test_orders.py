"""Orders: buying a plan at its current price, and who sees which orders."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from lib.core.db import session
from lib.models.activity_logs import ActivityLog
from lib.models.orders import Order
from lib.models.plans import Plan
from tests.functions.orders_support import (
    ORDER_KEYS,
    make_order,
    order_count,
    order_row,
)
from tests.support import Account, error_locs, force_status, make_plan, make_project

# --- create ---------------------------------------------------------------------------------------


async def test_create_order_copies_the_plan_price(client: httpx.AsyncClient, alice: Account) -> None:
    plan_id = await make_plan("Pro", price_cents=129_900, currency="USD")
    response = await client.post("/api/orders", json={"plan_id": plan_id}, headers=alice.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == ORDER_KEYS
    assert body["user_id"] == alice.id and body["plan_id"] == plan_id and body["project_id"] is None
    assert (body["amount_cents"], body["currency"], body["status"]) == (129_900, "USD", "pending")
    row = await order_row(body["id"])
    assert row is not None
    assert (row.user_id, row.plan_id, row.amount_cents, row.currency, row.status) == (
        alice.id,
        plan_id,
        129_900,
        "USD",
        "pending",
    )
    async with session() as db:
        log = await db.scalar(select(ActivityLog).where(ActivityLog.action == "create_order"))
    assert log is not None
    assert (log.user_id, log.entity_type, log.entity_id, log.status) == (
        alice.id,
        "order",
        str(body["id"]),
        "success",
    )


async def test_changing_the_plan_price_later_does_not_change_the_order(
    client: httpx.AsyncClient, alice: Account, plan_id: int
) -> None:
    order = await make_order(client, alice, plan_id)
    async with session() as db:
        await db.execute(update(Plan).where(Plan.id == plan_id).values(price_cents=1, currency="EUR"))
    response = await client.get(f"/api/orders/{order['id']}", headers=alice.headers)
    assert response.status_code == 200
    assert (response.json()["amount_cents"], response.json()["currency"]) == (49_900, "INR")
    row = await order_row(order["id"])
    assert row is not None and (row.amount_cents, row.currency) == (49_900, "INR")
    # A new order takes the new price.
    assert (await make_order(client, alice, plan_id))["amount_cents"] == 1


async def test_create_order_for_own_project(client: httpx.AsyncClient, alice: Account, plan_id: int) -> None:
    project_id = await make_project(client, alice)
    order = await make_order(client, alice, plan_id, project_id=project_id)
    assert order["project_id"] == project_id
    row = await order_row(order["id"])
    assert row is not None and row.project_id == project_id


async def test_free_plan_orders_at_zero(client: httpx.AsyncClient, alice: Account) -> None:
    order = await make_order(client, alice, await make_plan("Free", price_cents=0))
    assert order["amount_cents"] == 0


@pytest.mark.parametrize("who", ["bob", "admin"])
async def test_another_users_project_is_404(
    client: httpx.AsyncClient, alice: Account, bob: Account, admin: Account, plan_id: int, who: str
) -> None:
    caller = {"bob": bob, "admin": admin}[who]
    project_id = await make_project(client, alice)
    response = await client.post(
        "/api/orders", json={"plan_id": plan_id, "project_id": project_id}, headers=caller.headers
    )
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "not_found"
    assert await order_count() == 0


async def test_deleted_or_missing_project_is_404(
    client: httpx.AsyncClient, alice: Account, plan_id: int
) -> None:
    project_id = await make_project(client, alice)
    assert (await client.delete(f"/api/projects/{project_id}", headers=alice.headers)).status_code == 204
    for missing in (project_id, 999_999):
        response = await client.post(
            "/api/orders", json={"plan_id": plan_id, "project_id": missing}, headers=alice.headers
        )
        assert response.status_code == 404, response.text
    assert await order_count() == 0


async def test_unknown_or_inactive_plan_is_404(client: httpx.AsyncClient, alice: Account) -> None:
    inactive = await make_plan("Retired", is_active=False)
    for plan_id in (inactive, 999_999):
        response = await client.post("/api/orders", json={"plan_id": plan_id}, headers=alice.headers)
        assert response.status_code == 404, response.text
        assert response.json()["error"]["message"] == f"Plan {plan_id} not found"
    assert await order_count() == 0
    async with session() as db:
        failures = (
            await db.scalars(select(ActivityLog.status).where(ActivityLog.action == "create_order"))
        ).all()
    assert failures == ["failed", "failed"]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({}, ("body", "plan_id")),
        ({"plan_id": None}, ("body", "plan_id")),
        ({"plan_id": "abc"}, ("body", "plan_id")),
        ({"plan_id": 1.5}, ("body", "plan_id")),
        ({"plan_id": 0}, ("body", "plan_id")),
        ({"plan_id": -3}, ("body", "plan_id")),
        ({"plan_id": 2**63}, ("body", "plan_id")),
        ({"plan_id": 1, "project_id": 0}, ("body", "project_id")),
        ({"plan_id": 1, "project_id": "my project"}, ("body", "project_id")),
        ({"plan_id": 1, "amount_cents": 1}, ("body", "amount_cents")),
        ({"plan_id": 1, "status": "paid"}, ("body", "status")),
    ],
)
async def test_create_validation(
    client: httpx.AsyncClient, alice: Account, body: dict, loc: tuple[str, ...]
) -> None:
    await make_plan()  # id 1 exists: only the body is wrong
    response = await client.post("/api/orders", json=body, headers=alice.headers)
    assert loc in error_locs(response)
    assert await order_count() == 0


async def test_orders_need_a_user(client: httpx.AsyncClient, plan_id: int) -> None:
    assert (await client.get("/api/orders")).status_code == 401
    assert (await client.post("/api/orders", json={"plan_id": plan_id})).status_code == 401
    assert (await client.get("/api/orders/1")).status_code == 401
    assert (await client.patch("/api/orders/1", json={"status": "cancelled"})).status_code == 401
    assert await order_count() == 0


# --- read -----------------------------------------------------------------------------------------


async def test_get_order_owner_and_admin(
    client: httpx.AsyncClient, alice: Account, bob: Account, admin: Account, plan_id: int
) -> None:
    order = await make_order(client, alice, plan_id)
    for account in (alice, admin):
        response = await client.get(f"/api/orders/{order['id']}", headers=account.headers)
        assert response.status_code == 200 and response.json() == order
    response = await client.get(f"/api/orders/{order['id']}", headers=bob.headers)
    assert response.status_code == 404
    assert response.json()["error"]["message"] == f"Order {order['id']} not found"
    assert (await client.get("/api/orders/999999", headers=alice.headers)).status_code == 404


async def test_list_own_orders_admin_sees_all(
    client: httpx.AsyncClient, alice: Account, bob: Account, admin: Account, plan_id: int
) -> None:
    mine = [await make_order(client, alice, plan_id) for _ in range(2)]
    theirs = await make_order(client, bob, plan_id)

    response = await client.get("/api/orders", headers=alice.headers)
    assert response.status_code == 200
    assert response.json() == {"items": mine[::-1], "next_cursor": None}
    # A non-admin's user_id filter cannot widen what they see.
    response = await client.get("/api/orders", params={"user_id": bob.id}, headers=alice.headers)
    assert response.json()["items"] == []

    response = await client.get("/api/orders", headers=admin.headers)
    assert [item["id"] for item in response.json()["items"]] == [theirs["id"], mine[1]["id"], mine[0]["id"]]
    response = await client.get("/api/orders", params={"user_id": bob.id}, headers=admin.headers)
    assert response.json()["items"] == [theirs]


async def test_list_filters_by_status_and_project(
    client: httpx.AsyncClient, alice: Account, plan_id: int
) -> None:
    project_id = await make_project(client, alice)
    first = await make_order(client, alice, plan_id, project_id=project_id)
    second = await make_order(client, alice, plan_id)
    await force_status(Order, first["id"], "cancelled")

    response = await client.get("/api/orders", params={"status": "cancelled"}, headers=alice.headers)
    assert [item["id"] for item in response.json()["items"]] == [first["id"]]
    assert response.json()["items"][0]["status"] == "cancelled"
    response = await client.get("/api/orders", params={"status": "pending"}, headers=alice.headers)
    assert [item["id"] for item in response.json()["items"]] == [second["id"]]
    response = await client.get("/api/orders", params={"status": "paid"}, headers=alice.headers)
    assert response.json()["items"] == []
    response = await client.get("/api/orders", params={"project_id": project_id}, headers=alice.headers)
    assert [item["id"] for item in response.json()["items"]] == [first["id"]]


async def test_list_pagination_newest_first(client: httpx.AsyncClient, alice: Account, plan_id: int) -> None:
    created = [(await make_order(client, alice, plan_id))["id"] for _ in range(5)]
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        response = await client.get("/api/orders", params=params, headers=alice.headers)
        assert response.status_code == 200
        page = response.json()
        pages += 1
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == created[::-1]


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"status": "shipped"}, ("query", "status")),
        ({"limit": 0}, ("query", "limit")),
        ({"limit": 101}, ("query", "limit")),
        ({"limit": "many"}, ("query", "limit")),
        ({"user_id": 0}, ("query", "user_id")),
        ({"project_id": "x"}, ("query", "project_id")),
        ({"cursor": "not-a-cursor"}, ("query", "cursor")),
    ],
)
async def test_list_validation(
    client: httpx.AsyncClient, alice: Account, params: dict, loc: tuple[str, ...]
) -> None:
    response = await client.get("/api/orders", params=params, headers=alice.headers)
    assert loc in error_locs(response)
