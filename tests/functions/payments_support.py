"""What the payment tests share: provider settings with test secrets, signed webhooks, the rows."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from lib.core.db import session
from lib.models.notifications import Notification
from lib.models.orders import Order
from lib.models.payment_events import PaymentEvent
from tests.functions.accounts_support import use_settings
from tests.support import Account

RAZORPAY_KEY_ID = "rzp_test_launchpad01"
RAZORPAY_KEY_SECRET = "rzp-key-secret-9f8e7d6c5b4a"
RAZORPAY_WEBHOOK_SECRET = "rzp-webhook-secret-1a2b3c4d5e"
STRIPE_SECRET_KEY = "sk_test_launchpad_0123456789abcdef"
STRIPE_WEBHOOK_SECRET = "whsec_launchpad_test_0123456789abcdef"
RAZORPAY_API = "https://api.razorpay.com/v1"
STRIPE_API = "https://api.stripe.com/v1"
SECRETS = (RAZORPAY_KEY_SECRET, RAZORPAY_WEBHOOK_SECRET, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET)


def use_razorpay(monkeypatch: pytest.MonkeyPatch, **extra: Any) -> None:
    use_settings(
        monkeypatch,
        payment_provider="razorpay",
        razorpay_key_id=RAZORPAY_KEY_ID,
        razorpay_key_secret=RAZORPAY_KEY_SECRET,
        razorpay_webhook_secret=RAZORPAY_WEBHOOK_SECRET,
        payment_timeout_seconds=1.0,
        **extra,
    )


def use_stripe(monkeypatch: pytest.MonkeyPatch) -> None:
    use_settings(
        monkeypatch,
        payment_provider="stripe",
        stripe_secret_key=STRIPE_SECRET_KEY,
        stripe_webhook_secret=STRIPE_WEBHOOK_SECRET,
        payment_timeout_seconds=1.0,
        frontend_url="https://app.example.com",
    )


def hex_hmac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def razorpay_event(
    event: str, *, order_id: str, payment_id: str, amount: int, currency: str = "INR", refund: bool = False
) -> bytes:
    payment = {
        "id": payment_id,
        "order_id": order_id,
        "amount": amount,
        "currency": currency,
        "status": "captured",
    }
    payload: dict[str, Any] = {"payment": {"entity": payment}}
    if refund:
        payload["refund"] = {
            "entity": {"id": "rfnd_1", "payment_id": payment_id, "amount": amount, "currency": currency}
        }
    body = {"entity": "event", "event": event, "contains": list(payload), "payload": payload, "created_at": 1}
    return json.dumps(body).encode()


def razorpay_headers(raw: bytes, event_id: str, secret: str = RAZORPAY_WEBHOOK_SECRET) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "x-razorpay-signature": hex_hmac(secret, raw),
        "x-razorpay-event-id": event_id,
    }


def stripe_event(event_id: str, event_type: str, item: dict[str, Any]) -> bytes:
    body = {"id": event_id, "object": "event", "type": event_type, "data": {"object": item}}
    return json.dumps(body).encode()


def stripe_headers(raw: bytes, secret: str = STRIPE_WEBHOOK_SECRET, at: int | None = None) -> dict[str, str]:
    """Stripe's scheme: `t=<unix time>,v1=<HMAC-SHA256 of "<t>.<payload>">`."""
    stamp = int(time.time()) if at is None else at
    signature = hex_hmac(secret, f"{stamp}.".encode() + raw)
    return {"content-type": "application/json", "stripe-signature": f"t={stamp},v1={signature}"}


async def order_row(order_id: int) -> Order:
    async with session() as db:
        order = await db.get(Order, order_id)
    assert order is not None
    return order


async def events() -> list[PaymentEvent]:
    async with session() as db:
        return list(await db.scalars(select(PaymentEvent).order_by(PaymentEvent.id)))


async def notifications(kind: str) -> list[Notification]:
    async with session() as db:
        return list(await db.scalars(select(Notification).where(Notification.kind == kind)))


async def start_checkout(
    client: httpx.AsyncClient, account: Account, order_id: int, **headers: str
) -> httpx.Response:
    return await client.post(f"/api/orders/{order_id}/checkout", headers={**account.headers, **headers})
