"""Idempotency-Key on POST /api/orders, subscribe and checkout: one execution, the first response replayed."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx
from sqlalchemy import func, select, update

from lib.core.db import session
from lib.models.idempotency_keys import IdempotencyKey
from lib.models.orders import Order
from lib.models.user_services import UserService
from tests.functions.payments_support import RAZORPAY_API, order_row, use_razorpay
from tests.functions.services_support import create_service
from tests.support import Account, activity_rows, assert_error, error_locs

KEY = "order-2026-12-01-0001"


async def count(model: type[Order] | type[UserService]) -> int:
    async with session() as db:
        return int(await db.scalar(select(func.count()).select_from(model)) or 0)


def order_with(
    client: httpx.AsyncClient, account: Account, plan_id: int, key: str = KEY
) -> asyncio.Future[httpx.Response]:
    return asyncio.ensure_future(
        client.post(
            "/api/orders", json={"plan_id": plan_id}, headers={**account.headers, "Idempotency-Key": key}
        )
    )


async def test_same_key_same_body_replays_the_first_response(
    client: httpx.AsyncClient, alice: Account, plan_id: int
) -> None:
    first = await order_with(client, alice, plan_id)
    again = await order_with(client, alice, plan_id)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert await count(Order) == 1
    assert len(await activity_rows(action="create_order")) == 1


async def test_same_key_other_body_is_a_409(client: httpx.AsyncClient, alice: Account, plan_id: int) -> None:
    await order_with(client, alice, plan_id)
    response = await client.post(
        "/api/orders",
        json={"plan_id": plan_id, "project_id": None},
        headers={**alice.headers, "Idempotency-Key": KEY},
    )
    assert_error(response, 409, "idempotency_conflict")
    assert await count(Order) == 1


async def test_ten_concurrent_requests_with_one_key_make_one_order(
    client: httpx.AsyncClient, alice: Account, plan_id: int
) -> None:
    responses = await asyncio.gather(*(order_with(client, alice, plan_id) for _ in range(10)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.content for r in responses}) == 1
    assert await count(Order) == 1


async def test_keys_are_per_user_and_without_a_key_nothing_changes(
    client: httpx.AsyncClient, alice: Account, bob: Account, plan_id: int
) -> None:
    mine, theirs = await order_with(client, alice, plan_id), await order_with(client, bob, plan_id)
    assert mine.json()["id"] != theirs.json()["id"] and theirs.json()["user_id"] == bob.id
    for _ in range(2):
        response = await client.post("/api/orders", json={"plan_id": plan_id}, headers=alice.headers)
        assert response.status_code == 201
    assert await count(Order) == 4


async def test_a_failed_request_keeps_no_key(client: httpx.AsyncClient, alice: Account, plan_id: int) -> None:
    missing = await client.post(
        "/api/orders", json={"plan_id": 999_999}, headers={**alice.headers, "Idempotency-Key": "k-404"}
    )
    assert_error(missing, 404, "not_found")
    async with session() as db:
        assert await db.scalar(select(func.count()).select_from(IdempotencyKey)) == 0


async def test_a_key_older_than_a_day_runs_again(
    client: httpx.AsyncClient, alice: Account, plan_id: int
) -> None:
    await order_with(client, alice, plan_id)
    async with session() as db:
        await db.execute(
            update(IdempotencyKey).values(created_at=func.now() - func.make_interval(0, 0, 0, 0, 25))
        )
    again = await order_with(client, alice, plan_id)
    assert again.status_code == 201 and "idempotent-replayed" not in again.headers
    assert await count(Order) == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "tab\there"])
async def test_a_malformed_key_is_a_422(
    client: httpx.AsyncClient, alice: Account, plan_id: int, key: str
) -> None:
    response = await client.post(
        "/api/orders",
        json={"plan_id": plan_id},
        headers=[*alice.headers.items(), ("Idempotency-Key", key.encode())],
    )
    assert_error(response, 422, "validation_error")
    assert ("header", "Idempotency-Key") in error_locs(response)
    assert await count(Order) == 0


async def test_subscribe_replays_instead_of_a_409(
    client: httpx.AsyncClient, alice: Account, admin: Account
) -> None:
    service_id = (await create_service(client, admin))["id"]
    headers = {**alice.headers, "Idempotency-Key": "sub-1"}
    first = await client.post(f"/api/services/{service_id}/subscribe", json={}, headers=headers)
    again = await client.post(f"/api/services/{service_id}/subscribe", json={}, headers=headers)
    assert first.status_code == again.status_code == 201 and first.content == again.content
    plain = await client.post(f"/api/services/{service_id}/subscribe", json={}, headers=alice.headers)
    assert_error(plain, 409, "conflict")  # without the key, a second subscription is refused
    assert await count(UserService) == 1


async def test_checkout_replays_without_calling_the_provider_again(
    client: httpx.AsyncClient, alice: Account, plan_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_razorpay(monkeypatch)
    order = (await client.post("/api/orders", json={"plan_id": plan_id}, headers=alice.headers)).json()
    with respx.mock as router:
        route = router.post(f"{RAZORPAY_API}/orders").respond(200, json={"id": "order_RZPidem"})
        headers = {**alice.headers, "Idempotency-Key": "checkout-1"}
        responses = [
            await client.post(f"/api/orders/{order['id']}/checkout", headers=headers) for _ in range(3)
        ]
    assert {r.status_code for r in responses} == {201} and len({r.content for r in responses}) == 1
    assert route.call_count == 1
    assert (await order_row(order["id"])).provider_order_id == "order_RZPidem"


async def test_a_checkout_whose_provider_failed_lets_the_key_run_again(
    client: httpx.AsyncClient, alice: Account, plan_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_razorpay(monkeypatch)
    order = (await client.post("/api/orders", json={"plan_id": plan_id}, headers=alice.headers)).json()
    headers = {**alice.headers, "Idempotency-Key": "checkout-2"}
    with respx.mock as router:
        route = router.post(f"{RAZORPAY_API}/orders")
        route.side_effect = [httpx.ConnectError("down"), httpx.Response(200, json={"id": "order_RZPretry"})]
        failed = await client.post(f"/api/orders/{order['id']}/checkout", headers=headers)
        retried = await client.post(f"/api/orders/{order['id']}/checkout", headers=headers)
    assert_error(failed, 503, "payment_provider_unavailable")
    assert retried.status_code == 201 and retried.json()["provider_order_id"] == "order_RZPretry"


async def test_the_daily_cron_purges_keys_older_than_a_day(
    client: httpx.AsyncClient, alice: Account, plan_id: int
) -> None:
    from tests.functions.openapi_truth_support import CRON

    await order_with(client, alice, plan_id, key="old")
    await order_with(client, alice, plan_id, key="new")
    async with session() as db:
        await db.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.key == "old")
            .values(created_at=func.now() - func.make_interval(0, 0, 0, 0, 25))
        )
    body = (await client.get("/api/cron/archive", headers=CRON)).json()
    assert body["idempotency_keys_purged"] == 1
    async with session() as db:
        assert list(await db.scalars(select(IdempotencyKey.key))) == ["new"]
