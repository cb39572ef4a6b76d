"""Orders: buying a plan at its current price, who sees what, and the order status machine."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text, update

from lib.core.db import session
from lib.models.activity_logs import ActivityLog
from lib.models.orders import Order
from lib.models.plans import Plan
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


async def make_plan(
    name: str = "Basic", price_cents: int = 49_900, currency: str = "INR", is_active: bool = True
) -> int:
    async with session() as db:
        plan = Plan(name=name, price_cents=price_cents, currency=currency, is_active=is_active)
        db.add(plan)
        await db.flush()
        return plan.id


@pytest.fixture
async def plan_id(client: httpx.AsyncClient) -> int:
    return await make_plan()


async def make_project(client: httpx.AsyncClient, account: Account, title: str = "Smart farm") -> int:
    response = await client.post(
        "/api/projects", json={"title": title, "category": "iot"}, headers=account.headers
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


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


async def set_status(order_id: int, status: str) -> None:
    async with session() as db:
        await db.execute(update(Order).where(Order.id == order_id).values(status=status))


def error_locs(response: httpx.Response) -> set[tuple[Any, ...]]:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    return {tuple(item["loc"]) for item in error["details"]}


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
    await set_status(first["id"], "cancelled")

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


# --- the status machine ---------------------------------------------------------------------------

TRANSITIONS = [
    pytest.param(
        actor,
        source,
        target,
        200 if (source, target) in allowed else 409,
        id=f"{actor}:{source}->{target}",
    )
    for actor, allowed in (("admin", ADMIN_ALLOWED), ("owner", OWNER_ALLOWED))
    for source in STATUSES
    for target in STATUSES
]


@pytest.mark.parametrize(("actor", "source", "target", "expected"), TRANSITIONS)
async def test_transition_table(
    client: httpx.AsyncClient,
    alice: Account,
    admin: Account,
    plan_id: int,
    actor: str,
    source: str,
    target: str,
    expected: int,
) -> None:
    caller = {"admin": admin, "owner": alice}[actor]
    order = await make_order(client, alice, plan_id)
    await set_status(order["id"], source)

    response = await client.patch(
        f"/api/orders/{order['id']}", json={"status": target}, headers=caller.headers
    )

    assert response.status_code == expected, response.text
    row = await order_row(order["id"])
    assert row is not None
    if expected == 200:
        body = response.json()
        assert body["status"] == target and body["id"] == order["id"]
        assert body["amount_cents"] == order["amount_cents"]
        assert row.status == target
        assert row.updated_at >= row.created_at
    else:
        error = response.json()["error"]
        assert error["code"] == "conflict"
        assert error["message"] == f"Cannot move order {order['id']} from {source} to {target}"
        assert row.status == source
    async with session() as db:
        log = await db.scalar(select(ActivityLog).where(ActivityLog.action == "update_order_status"))
    assert log is not None
    assert (log.user_id, log.entity_type, log.entity_id) == (caller.id, "order", str(order["id"]))
    assert log.status == ("success" if expected == 200 else "failed")
    assert log.details == {"status": target}


async def test_admin_walks_an_order_to_completion(
    client: httpx.AsyncClient, alice: Account, admin: Account, plan_id: int
) -> None:
    order = await make_order(client, alice, plan_id)
    for target in ("paid", "in_progress", "completed"):
        response = await client.patch(
            f"/api/orders/{order['id']}", json={"status": target}, headers=admin.headers
        )
        assert response.status_code == 200 and response.json()["status"] == target
    row = await order_row(order["id"])
    assert row is not None and row.status == "completed"


async def test_admin_own_order_follows_admin_rules(
    client: httpx.AsyncClient, admin: Account, plan_id: int
) -> None:
    order = await make_order(client, admin, plan_id)
    response = await client.patch(
        f"/api/orders/{order['id']}", json={"status": "paid"}, headers=admin.headers
    )
    assert response.status_code == 200 and response.json()["status"] == "paid"


@pytest.mark.parametrize("target", STATUSES)
async def test_another_users_order_is_404_and_unchanged(
    client: httpx.AsyncClient, alice: Account, bob: Account, plan_id: int, target: str
) -> None:
    order = await make_order(client, alice, plan_id)
    response = await client.patch(f"/api/orders/{order['id']}", json={"status": target}, headers=bob.headers)
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "not_found"
    row = await order_row(order["id"])
    assert row is not None and row.status == "pending"


async def test_patch_unknown_order_is_404(client: httpx.AsyncClient, admin: Account) -> None:
    response = await client.patch("/api/orders/424242", json={"status": "paid"}, headers=admin.headers)
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({}, ("body", "status")),
        ({"status": None}, ("body", "status")),
        ({"status": "shipped"}, ("body", "status")),
        ({"status": 3}, ("body", "status")),
        ({"status": "paid", "amount_cents": 0}, ("body", "amount_cents")),
    ],
)
async def test_patch_validation(
    client: httpx.AsyncClient, alice: Account, admin: Account, plan_id: int, body: dict, loc: tuple
) -> None:
    order = await make_order(client, alice, plan_id)
    response = await client.patch(f"/api/orders/{order['id']}", json=body, headers=admin.headers)
    assert loc in error_locs(response)
    row = await order_row(order["id"])
    assert row is not None and (row.status, row.amount_cents) == ("pending", 49_900)


@pytest.mark.parametrize("round_", range(5))
async def test_concurrent_transitions_one_wins(
    client: httpx.AsyncClient, alice: Account, admin: Account, plan_id: int, round_: int
) -> None:
    order = await make_order(client, alice, plan_id)
    url = f"/api/orders/{order['id']}"
    # Both moves are legal from `pending`; whichever commits first makes the other illegal.
    paid, cancelled = await asyncio.gather(
        client.patch(url, json={"status": "paid"}, headers=admin.headers),
        client.patch(url, json={"status": "cancelled"}, headers=alice.headers),
    )
    statuses = sorted([paid.status_code, cancelled.status_code])
    assert statuses == [200, 409], (paid.text, cancelled.text)
    winner = paid if paid.status_code == 200 else cancelled
    loser = cancelled if winner is paid else paid
    assert loser.json()["error"]["code"] == "conflict"
    row = await order_row(order["id"])
    assert row is not None and row.status == winner.json()["status"]


async def test_concurrent_identical_transitions_one_wins(
    client: httpx.AsyncClient, alice: Account, admin: Account, plan_id: int
) -> None:
    order = await make_order(client, alice, plan_id)
    url = f"/api/orders/{order['id']}"
    responses = await asyncio.gather(
        *(client.patch(url, json={"status": "paid"}, headers=admin.headers) for _ in range(2))
    )
    assert sorted(r.status_code for r in responses) == [200, 409]
    row = await order_row(order["id"])
    assert row is not None and row.status == "paid"


async def _wait_for_lock_waiters(count: int) -> None:
    for _ in range(250):
        # A new transaction each time: pg_stat_activity is a snapshot within one.
        async with session() as db:
            waiting = await db.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND query ILIKE 'UPDATE orders%'"
                )
            )
        if waiting >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"expected {count} UPDATEs waiting on the order's row lock")


async def test_transitions_waiting_on_one_row_one_wins(
    client: httpx.AsyncClient, alice: Account, admin: Account, plan_id: int
) -> None:
    order = await make_order(client, alice, plan_id)
    url = f"/api/orders/{order['id']}"
    # Hold the row so both requests are surely in flight at once, queued on the same lock.
    async with session() as blocker:
        await blocker.execute(select(Order.id).where(Order.id == order["id"]).with_for_update())
        requests = asyncio.gather(
            client.patch(url, json={"status": "cancelled"}, headers=alice.headers),
            client.patch(url, json={"status": "paid"}, headers=admin.headers),
        )
        await _wait_for_lock_waiters(2)
    responses = await requests
    assert sorted(r.status_code for r in responses) == [200, 409]
    winner = next(r for r in responses if r.status_code == 200)
    row = await order_row(order["id"])
    assert row is not None and row.status == winner.json()["status"]
