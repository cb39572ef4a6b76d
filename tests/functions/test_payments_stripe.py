"""Stripe: a Checkout Session through its REST API (respx), webhooks checked by the stripe library."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from tests.functions.orders_support import make_order
from tests.functions.payments_support import (
    STRIPE_API,
    STRIPE_SECRET_KEY,
    events,
    notifications,
    order_row,
    start_checkout,
    stripe_event,
    stripe_headers,
    use_stripe,
)
from tests.support import Account, assert_error

SESSION = "cs_test_launchpad_0001"
INTENT = "pi_test_launchpad_0001"
WEBHOOK = "/api/payments/stripe/webhook"


@pytest.fixture
def stripe_api(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> respx.MockRouter:
    use_stripe(monkeypatch)
    with respx.mock(assert_all_called=False) as router:
        router.post(f"{STRIPE_API}/checkout/sessions").respond(
            200, json={"id": SESSION, "url": f"https://checkout.stripe.com/c/pay/{SESSION}"}
        )
        yield router


def completed(order_id: int, amount: int = 49_900, currency: str = "inr", **extra: Any) -> dict[str, Any]:
    return {
        "id": SESSION,
        "object": "checkout.session",
        "amount_total": amount,
        "currency": currency,
        "client_reference_id": str(order_id),
        "payment_intent": INTENT,
        "payment_status": "paid",
        **extra,
    }


async def deliver(client: httpx.AsyncClient, raw: bytes, **kw: Any) -> httpx.Response:
    return await client.post(WEBHOOK, content=raw, headers=stripe_headers(raw, **kw))


async def test_checkout_creates_a_session_for_the_orders_amount(
    client: httpx.AsyncClient, alice: Account, plan_id: int, stripe_api: respx.MockRouter
) -> None:
    order = await make_order(client, alice, plan_id)
    response = await start_checkout(client, alice, order["id"])
    assert response.status_code == 201, response.text
    assert response.json()["provider"] == "stripe"
    assert response.json()["checkout_url"] == f"https://checkout.stripe.com/c/pay/{SESSION}"
    [call] = stripe_api.calls
    assert call.request.headers["authorization"] == f"Bearer {STRIPE_SECRET_KEY}"
    form = {key: values[0] for key, values in parse_qs(call.request.content.decode()).items()}
    assert form["mode"] == "payment" and form["client_reference_id"] == str(order["id"])
    assert form["line_items[0][price_data][unit_amount]"] == "49900"
    assert form["line_items[0][price_data][currency]"] == "inr"
    assert form["success_url"].startswith(f"https://app.example.com/orders/{order['id']}")
    assert (await order_row(order["id"])).provider_order_id == SESSION


async def test_a_completed_session_pays_once_and_a_refund_event_refunds(
    client: httpx.AsyncClient, alice: Account, plan_id: int, stripe_api: respx.MockRouter
) -> None:
    order = await make_order(client, alice, plan_id)
    await start_checkout(client, alice, order["id"])
    raw = stripe_event("evt_1", "checkout.session.completed", completed(order["id"]))
    assert (await deliver(client, raw)).json() == {"received": True, "outcome": "applied"}
    assert (await deliver(client, raw)).json()["outcome"] == "duplicate"
    row = await order_row(order["id"])
    assert (row.status, row.provider_payment_id) == ("paid", INTENT)
    assert len(await notifications("order_status")) == 1

    charge = {
        "id": "ch_1",
        "object": "charge",
        "payment_intent": INTENT,
        "amount_refunded": 49_900,
        "currency": "inr",
    }
    refunded = await deliver(client, stripe_event("evt_2", "charge.refunded", charge))
    assert refunded.json()["outcome"] == "applied"
    assert (await order_row(order["id"])).status == "refunded"


async def test_an_expired_session_or_an_unpaid_completion_changes_nothing(
    client: httpx.AsyncClient, alice: Account, plan_id: int, stripe_api: respx.MockRouter
) -> None:
    order = await make_order(client, alice, plan_id)
    await start_checkout(client, alice, order["id"])
    expired = stripe_event(
        "evt_x", "checkout.session.expired", completed(order["id"], payment_status="unpaid")
    )
    delayed = stripe_event(
        "evt_y", "checkout.session.completed", completed(order["id"], payment_status="unpaid")
    )
    for raw in (expired, delayed):
        assert (await deliver(client, raw)).json()["outcome"] == "ignored"
    assert (await order_row(order["id"])).status == "pending"
    assert [e.outcome for e in await events()] == ["ignored", "ignored"]


async def test_a_session_replaced_by_a_newer_checkout_still_pays_its_order(
    client: httpx.AsyncClient, alice: Account, plan_id: int, stripe_api: respx.MockRouter
) -> None:
    order = await make_order(client, alice, plan_id)
    await start_checkout(client, alice, order["id"])
    stripe_api.post(f"{STRIPE_API}/checkout/sessions").respond(
        200, json={"id": "cs_newer", "url": "https://x"}
    )
    await start_checkout(client, alice, order["id"])
    assert (await order_row(order["id"])).provider_order_id == "cs_newer"
    raw = stripe_event("evt_old", "checkout.session.completed", completed(order["id"]))  # the first session
    assert (await deliver(client, raw)).json()["outcome"] == "applied"
    assert (await order_row(order["id"])).status == "paid"


@pytest.mark.parametrize("forgery", ["wrong secret", "stale timestamp", "no header"])
async def test_the_stripe_library_refuses_a_bad_signature(
    client: httpx.AsyncClient, alice: Account, plan_id: int, stripe_api: respx.MockRouter, forgery: str
) -> None:
    order = await make_order(client, alice, plan_id)
    await start_checkout(client, alice, order["id"])
    raw = stripe_event("evt_forged", "checkout.session.completed", completed(order["id"]))
    if forgery == "wrong secret":
        headers = stripe_headers(raw, secret="whsec_guess")
    elif forgery == "stale timestamp":
        headers = stripe_headers(raw, at=int(time.time()) - 3600)
    else:
        headers = {"content-type": "application/json"}
    assert_error(await client.post(WEBHOOK, content=raw, headers=headers), 400, "bad_signature")
    assert (await order_row(order["id"])).status == "pending" and await events() == []


async def test_refund_through_stripe(
    client: httpx.AsyncClient, alice: Account, admin: Account, plan_id: int, stripe_api: respx.MockRouter
) -> None:
    order = await make_order(client, alice, plan_id)
    await start_checkout(client, alice, order["id"])
    await deliver(client, stripe_event("evt_1", "checkout.session.completed", completed(order["id"])))
    route = stripe_api.post(f"{STRIPE_API}/refunds").respond(200, json={"id": "re_1", "status": "succeeded"})
    response = await client.post(f"/api/orders/{order['id']}/refund", headers=admin.headers)
    assert response.status_code == 200 and response.json()["status"] == "refunded"
    [call] = route.calls
    assert parse_qs(call.request.content.decode()) == {"payment_intent": [INTENT], "amount": ["49900"]}


async def test_a_refund_the_provider_refuses_changes_nothing(
    client: httpx.AsyncClient, alice: Account, admin: Account, plan_id: int, stripe_api: respx.MockRouter
) -> None:
    order = await make_order(client, alice, plan_id)
    await start_checkout(client, alice, order["id"])
    await deliver(client, stripe_event("evt_1", "checkout.session.completed", completed(order["id"])))
    stripe_api.post(f"{STRIPE_API}/refunds").respond(402, json={"error": {"message": "insufficient balance"}})
    response = await client.post(f"/api/orders/{order['id']}/refund", headers=admin.headers)
    assert_error(response, 503, "payment_provider_unavailable")
    assert (await order_row(order["id"])).status == "paid"
