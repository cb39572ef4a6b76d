"""Razorpay: checkout through its REST API (respx), the checkout signature, signed webhooks, refunds."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import respx

from tests import log_hygiene
from tests.functions.orders_support import make_order
from tests.functions.payments_support import (
    RAZORPAY_API,
    RAZORPAY_KEY_ID,
    RAZORPAY_KEY_SECRET,
    SECRETS,
    events,
    hex_hmac,
    notifications,
    order_row,
    razorpay_event,
    razorpay_headers,
    start_checkout,
    use_razorpay,
)
from tests.support import Account, activity_rows, assert_error

PROVIDER_ORDER = "order_RZP000000001"
PAYMENT = "pay_RZP000000001"
WEBHOOK = "/api/payments/razorpay/webhook"


@pytest.fixture
def razorpay(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> respx.MockRouter:
    use_razorpay(monkeypatch)
    with respx.mock(assert_all_called=False) as router:
        router.post(f"{RAZORPAY_API}/orders").respond(
            200, json={"id": PROVIDER_ORDER, "amount": 49_900, "currency": "INR", "status": "created"}
        )
        yield router


async def checked_out(client: httpx.AsyncClient, account: Account, plan_id: int) -> dict[str, Any]:
    order = await make_order(client, account, plan_id)
    response = await start_checkout(client, account, order["id"])
    assert response.status_code == 201, response.text
    return order


async def deliver(client: httpx.AsyncClient, raw: bytes, event_id: str) -> httpx.Response:
    return await client.post(WEBHOOK, content=raw, headers=razorpay_headers(raw, event_id))


def captured(amount: int = 49_900, currency: str = "INR") -> bytes:
    return razorpay_event(
        "payment.captured", order_id=PROVIDER_ORDER, payment_id=PAYMENT, amount=amount, currency=currency
    )


async def test_checkout_creates_a_razorpay_order_for_the_orders_amount(
    client: httpx.AsyncClient, alice: Account, plan_id: int, razorpay: respx.MockRouter
) -> None:
    order = await make_order(client, alice, plan_id)
    response = await start_checkout(client, alice, order["id"])
    assert response.status_code == 201, response.text
    assert response.json() == {
        "provider": "razorpay",
        "provider_order_id": PROVIDER_ORDER,
        "key_id": RAZORPAY_KEY_ID,
        "amount_cents": 49_900,
        "currency": "INR",
        "checkout_url": None,
    }
    [call] = razorpay.calls
    sent = json.loads(call.request.content)
    assert sent == {
        "amount": 49_900,
        "currency": "INR",
        "receipt": f"order_{order['id']}",
        "notes": {"order_id": str(order["id"])},
    }
    assert call.request.headers["authorization"].startswith("Basic ")
    row = await order_row(order["id"])
    assert (row.payment_provider, row.provider_order_id, row.status) == (
        "razorpay",
        PROVIDER_ORDER,
        "pending",
    )
    # A second checkout reuses the Razorpay order: one payment can only ever match one order.
    again = await start_checkout(client, alice, order["id"])
    assert again.json()["provider_order_id"] == PROVIDER_ORDER and len(razorpay.calls) == 1


async def test_checkout_is_for_the_owner_and_a_pending_order(
    client: httpx.AsyncClient,
    alice: Account,
    bob: Account,
    admin: Account,
    plan_id: int,
    razorpay: respx.MockRouter,
) -> None:
    order = await make_order(client, alice, plan_id)
    assert_error(await start_checkout(client, bob, order["id"]), 404, "not_found")
    assert_error(await start_checkout(client, admin, order["id"]), 404, "not_found")
    await client.patch(f"/api/orders/{order['id']}", json={"status": "cancelled"}, headers=alice.headers)
    assert_error(await start_checkout(client, alice, order["id"]), 409, "conflict")
    assert razorpay.calls.call_count == 0


async def test_a_verified_webhook_marks_the_order_paid_once_and_tells_the_owner(
    client: httpx.AsyncClient, alice: Account, plan_id: int, razorpay: respx.MockRouter
) -> None:
    order = await checked_out(client, alice, plan_id)
    response = await deliver(client, captured(), "evt_1")
    assert response.status_code == 200 and response.json() == {"received": True, "outcome": "applied"}
    row = await order_row(order["id"])
    assert (row.status, row.provider_payment_id) == ("paid", PAYMENT)
    [told] = await notifications("order_status")
    assert (told.user_id, told.entity_id) == (alice.id, order["id"])
    [event] = await events()
    assert (event.event_id, event.outcome, event.order_id) == ("evt_1", "applied", order["id"])


async def test_five_concurrent_deliveries_change_the_order_once(
    client: httpx.AsyncClient, alice: Account, plan_id: int, razorpay: respx.MockRouter
) -> None:
    order = await checked_out(client, alice, plan_id)
    raw = captured()
    responses = await asyncio.gather(*(deliver(client, raw, "evt_same") for _ in range(5)))
    assert sorted(r.json()["outcome"] for r in responses) == ["applied"] + ["duplicate"] * 4
    assert (await order_row(order["id"])).status == "paid"
    assert [(e.event_id, e.outcome) for e in await events()] == [("evt_same", "applied")]
    assert len(await notifications("order_status")) == 1
    assert len(await activity_rows(action="webhook")) == 1
    # And a later redelivery (Razorpay retries for a day) is still nothing.
    assert (await deliver(client, raw, "evt_same")).json()["outcome"] == "duplicate"
    assert len(await activity_rows(action="webhook")) == 1


@pytest.mark.parametrize("signature", ["missing", "wrong secret", "tampered body"])
async def test_a_bad_signature_is_a_400_that_changes_nothing(
    client: httpx.AsyncClient, alice: Account, plan_id: int, razorpay: respx.MockRouter, signature: str
) -> None:
    order = await checked_out(client, alice, plan_id)
    raw = captured()
    headers = razorpay_headers(raw, "evt_forged")
    if signature == "missing":
        del headers["x-razorpay-signature"]
    elif signature == "wrong secret":
        headers["x-razorpay-signature"] = hex_hmac("not-the-secret", raw)
    else:
        raw = raw.replace(b"49900", b"100")
    response = await client.post(WEBHOOK, content=raw, headers=headers)
    body = assert_error(response, 400, "bad_signature")
    assert "secret" not in json.dumps(body).lower()
    assert (await order_row(order["id"])).status == "pending"
    assert await events() == [] and await notifications("order_status") == []
    [failed] = await activity_rows(action="webhook")
    assert failed.status == "failed"


async def test_a_mismatched_amount_leaves_the_order_unpaid_and_tells_the_admins(
    client: httpx.AsyncClient, alice: Account, admin: Account, plan_id: int, razorpay: respx.MockRouter
) -> None:
    order = await checked_out(client, alice, plan_id)
    response = await deliver(client, captured(amount=100), "evt_short")
    assert response.json()["outcome"] == "mismatch"
    assert (await order_row(order["id"])).status == "pending"
    [told] = await notifications("payment_mismatch")
    assert (told.user_id, told.entity_type, told.entity_id) == (admin.id, "order", order["id"])
    assert "100 INR" in told.body and "49900 INR" in told.body
    [event] = await events()
    assert (event.outcome, event.amount_cents) == ("mismatch", 100)
    other_currency = await deliver(client, captured(currency="USD"), "evt_usd")
    assert other_currency.json()["outcome"] == "mismatch"
    assert (await order_row(order["id"])).status == "pending"


async def test_checkout_verification_marks_paid_and_a_bad_signature_does_not(
    client: httpx.AsyncClient, alice: Account, bob: Account, plan_id: int, razorpay: respx.MockRouter
) -> None:
    order = await checked_out(client, alice, plan_id)
    good = hex_hmac(RAZORPAY_KEY_SECRET, f"{PROVIDER_ORDER}|{PAYMENT}".encode())
    body = {"razorpay_order_id": PROVIDER_ORDER, "razorpay_payment_id": PAYMENT, "razorpay_signature": good}
    bad = {**body, "razorpay_signature": hex_hmac("guess", f"{PROVIDER_ORDER}|{PAYMENT}".encode())}
    assert_error(
        await client.post("/api/payments/razorpay/verify", json=bad, headers=alice.headers),
        400,
        "bad_signature",
    )
    assert (await order_row(order["id"])).status == "pending"
    assert_error(
        await client.post("/api/payments/razorpay/verify", json=body, headers=bob.headers), 404, "not_found"
    )
    response = await client.post("/api/payments/razorpay/verify", json=body, headers=alice.headers)
    assert response.status_code == 200 and response.json()["status"] == "paid"
    again = await client.post("/api/payments/razorpay/verify", json=body, headers=alice.headers)
    assert again.status_code == 200 and again.json()["status"] == "paid"
    assert len(await notifications("order_status")) == 1
    [event] = await events()
    assert (event.event_id, event.outcome, event.order_id) == (f"verify:{PAYMENT}", "applied", order["id"])


async def test_verification_racing_the_webhook_pays_once(
    client: httpx.AsyncClient, alice: Account, plan_id: int, razorpay: respx.MockRouter
) -> None:
    order = await checked_out(client, alice, plan_id)
    signature = hex_hmac(RAZORPAY_KEY_SECRET, f"{PROVIDER_ORDER}|{PAYMENT}".encode())
    body = {
        "razorpay_order_id": PROVIDER_ORDER,
        "razorpay_payment_id": PAYMENT,
        "razorpay_signature": signature,
    }
    verify = client.post("/api/payments/razorpay/verify", json=body, headers=alice.headers)
    webhooks = [deliver(client, captured(), f"evt_race_{n}") for n in range(3)]
    verified, *delivered = await asyncio.gather(verify, *webhooks)
    assert verified.status_code == 200 and verified.json()["status"] == "paid"
    assert all(r.status_code == 200 for r in delivered)
    assert (await order_row(order["id"])).status == "paid"
    assert len(await notifications("order_status")) == 1
    applied = [e for e in await events() if e.outcome == "applied"]
    assert len(applied) == 1 and applied[0].order_id == order["id"]  # the verification or one webhook


async def test_refund_round_trip(
    client: httpx.AsyncClient, alice: Account, admin: Account, plan_id: int, razorpay: respx.MockRouter
) -> None:
    order = await checked_out(client, alice, plan_id)
    await deliver(client, captured(), "evt_paid")
    refund_route = razorpay.post(f"{RAZORPAY_API}/payments/{PAYMENT}/refund").respond(
        200, json={"id": "rfnd_1"}
    )
    assert_error(
        await client.post(f"/api/orders/{order['id']}/refund", headers=alice.headers), 403, "forbidden"
    )
    response = await client.post(f"/api/orders/{order['id']}/refund", headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "refunded"
    [call] = refund_route.calls
    assert json.loads(call.request.content) == {"amount": 49_900}
    # Razorpay then reports the refund: recorded, nothing more to change.
    raw = razorpay_event(
        "refund.processed", order_id=PROVIDER_ORDER, payment_id=PAYMENT, amount=49_900, refund=True
    )
    assert (await deliver(client, raw, "evt_refund")).json()["outcome"] == "ignored"
    assert (await order_row(order["id"])).status == "refunded"
    assert_error(
        await client.post(f"/api/orders/{order['id']}/refund", headers=admin.headers), 409, "conflict"
    )
    assert len(refund_route.calls) == 1


async def test_a_refund_webhook_alone_refunds_the_order(
    client: httpx.AsyncClient, alice: Account, plan_id: int, razorpay: respx.MockRouter
) -> None:
    order = await checked_out(client, alice, plan_id)
    await deliver(client, captured(), "evt_paid")
    raw = razorpay_event(
        "refund.processed", order_id=PROVIDER_ORDER, payment_id=PAYMENT, amount=49_900, refund=True
    )
    assert (await deliver(client, raw, "evt_refund")).json()["outcome"] == "applied"
    assert (await order_row(order["id"])).status == "refunded"


@pytest.mark.parametrize("failure", ["down", "slow", "refusing"])
async def test_a_provider_that_is_down_or_slow_is_a_quick_503_that_changes_nothing(
    client: httpx.AsyncClient, alice: Account, plan_id: int, razorpay: respx.MockRouter, failure: str
) -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200, json={"id": "order_late"})

    route = razorpay.post(f"{RAZORPAY_API}/orders")
    if failure == "down":
        route.side_effect = httpx.ConnectError("connection refused")
    elif failure == "slow":
        route.side_effect = slow
    else:
        route.respond(500, json={"error": {"description": f"internal {RAZORPAY_KEY_SECRET}"}})
    order = await make_order(client, alice, plan_id)
    started = asyncio.get_running_loop().time()
    response = await start_checkout(client, alice, order["id"])
    assert asyncio.get_running_loop().time() - started < 3  # PAYMENT_TIMEOUT_SECONDS is 1 s here
    body = assert_error(response, 503, "payment_provider_unavailable")
    assert RAZORPAY_KEY_SECRET not in json.dumps(body)
    row = await order_row(order["id"])
    assert (row.status, row.provider_order_id) == ("pending", None)


async def test_manual_mode_has_no_checkout_and_admins_still_mark_orders_paid(
    client: httpx.AsyncClient, alice: Account, admin: Account, plan_id: int
) -> None:
    order = await make_order(client, alice, plan_id)
    assert_error(await start_checkout(client, alice, order["id"]), 409, "payments_not_configured")
    assert_error(
        await client.post(WEBHOOK, content=b"{}", headers={"content-type": "application/json"}),
        404,
        "not_found",
    )
    paid = await client.patch(f"/api/orders/{order['id']}", json={"status": "paid"}, headers=admin.headers)
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    refunded = await client.post(f"/api/orders/{order['id']}/refund", headers=admin.headers)
    assert refunded.status_code == 200 and refunded.json()["status"] == "refunded"
    # PATCH never refunds: only the refund endpoint does (it returns the money first).
    response = await client.patch(
        f"/api/orders/{order['id']}", json={"status": "refunded"}, headers=admin.headers
    )
    assert_error(response, 422, "validation_error")


async def test_no_secret_or_signature_reaches_a_log_line_or_a_row(
    client: httpx.AsyncClient, alice: Account, plan_id: int, razorpay: respx.MockRouter
) -> None:
    mark = len(log_hygiene.LINES)
    order = await checked_out(client, alice, plan_id)
    raw = captured()
    headers = razorpay_headers(raw, "evt_log")
    await client.post(WEBHOOK, content=raw, headers=headers)
    await client.post(WEBHOOK, content=raw, headers={**headers, "x-razorpay-signature": "0" * 64})
    signature = hex_hmac(RAZORPAY_KEY_SECRET, f"{PROVIDER_ORDER}|{PAYMENT}".encode())
    body = {
        "razorpay_order_id": PROVIDER_ORDER,
        "razorpay_payment_id": PAYMENT,
        "razorpay_signature": signature,
    }
    await client.post("/api/payments/razorpay/verify", json=body, headers=alice.headers)
    assert (await order_row(order["id"])).status == "paid"
    lines = "\n".join(line for _test, line in log_hygiene.LINES[mark:])
    rows = repr([(r.details, r.error_message) for r in await activity_rows()])
    for secret in (*SECRETS, headers["x-razorpay-signature"], signature):
        assert secret not in lines and secret not in rows
