"""Orders: the order status machine (who may move an order where), and races on one order."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select

from lib.core.db import session
from lib.models.activity_logs import ActivityLog
from lib.models.orders import Order
from tests.functions.orders_support import (
    ADMIN_ALLOWED,
    OWNER_ALLOWED,
    STATUSES,
    make_order,
    order_row,
)
from tests.support import Account, error_locs, force_status, wait_for_lock_waiters

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
    await force_status(Order, order["id"], source)

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
        await wait_for_lock_waiters("orders", 2)
    responses = await requests
    assert sorted(r.status_code for r in responses) == [200, 409]
    winner = next(r for r in responses if r.status_code == 200)
    row = await order_row(order["id"])
    assert row is not None and row.status == winner.json()["status"]
