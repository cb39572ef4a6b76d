"""Razorpay: orders through its REST API, the checkout signature, signed webhooks, refunds."""

from __future__ import annotations

import json
from typing import Any

from lib.core.config import Settings
from lib.models.statuses import PaymentProvider
from lib.payments.providers import (
    BadSignature,
    Checkout,
    EventKind,
    OrderFacts,
    ProviderEvent,
    check_answer,
    order_ref,
    provider_call,
    short_text,
)
from lib.payments.signatures import matches

API = "https://api.razorpay.com/v1"
KINDS: dict[str, EventKind] = {
    "payment.captured": "paid",
    "order.paid": "paid",
    "payment.failed": "failed",
    "refund.processed": "refunded",
}


class Razorpay:
    name: PaymentProvider = "razorpay"

    def __init__(self, settings: Settings) -> None:
        assert settings.razorpay_key_id and settings.razorpay_key_secret and settings.razorpay_webhook_secret
        self.key_id = settings.razorpay_key_id
        self._key_secret = settings.razorpay_key_secret
        self._webhook_secret = settings.razorpay_webhook_secret

    async def create_checkout(self, order: OrderFacts) -> Checkout:
        body = {
            "amount": order.amount_cents,  # already the smallest unit (paise for INR)
            "currency": order.currency,
            "receipt": f"order_{order.id}",
            "notes": {"order_id": str(order.id)},
        }
        async with provider_call("Razorpay") as http:
            response = await http.post(f"{API}/orders", json=body, auth=(self.key_id, self._key_secret))
        answer = check_answer("Razorpay", response)
        return self._checkout(str(answer["id"]), order.amount_cents, order.currency)

    def reuse_checkout(self, provider_order_id: str, amount_cents: int, currency: str) -> Checkout:
        """A Razorpay order stays payable: a second checkout reuses it, so one payment matches one order."""
        return self._checkout(provider_order_id, amount_cents, currency)

    def _checkout(self, provider_order_id: str, amount_cents: int, currency: str) -> Checkout:
        client = {
            "provider": "razorpay",
            "provider_order_id": provider_order_id,
            "key_id": self.key_id,
            "amount_cents": amount_cents,
            "currency": currency,
        }
        return Checkout(provider_order_id, client)

    def checkout_signature_matches(self, order_id: str, payment_id: str, signature: str) -> bool:
        """Checkout's `razorpay_signature`: HMAC-SHA256 of `order_id|payment_id` under the key secret."""
        return matches(self._key_secret, f"{order_id}|{payment_id}".encode(), signature)

    def parse_webhook(self, raw: bytes, headers: dict[str, str]) -> ProviderEvent:
        if not matches(self._webhook_secret, raw, headers.get("x-razorpay-signature")):
            raise BadSignature()
        event_id = headers.get("x-razorpay-event-id", "").strip()
        try:
            body: dict[str, Any] = json.loads(raw)
            event_type = str(body["event"])
            payload = body.get("payload") or {}
        except (ValueError, KeyError, TypeError):
            raise BadSignature("The event is not a Razorpay event") from None
        if not event_id or len(event_id) > 200:
            raise BadSignature("The event has no X-Razorpay-Event-Id")
        payment = (payload.get("payment") or {}).get("entity") or {}
        refund = (payload.get("refund") or {}).get("entity") or {}
        order = (payload.get("order") or {}).get("entity") or {}
        entity = refund or payment
        return ProviderEvent(
            event_id=event_id,
            event_type=event_type[:100],
            kind=KINDS.get(event_type, "other"),
            provider_order_id=short_text(payment.get("order_id")),
            provider_payment_id=short_text(refund.get("payment_id") or payment.get("id")),
            amount_cents=entity.get("amount") if isinstance(entity.get("amount"), int) else None,
            currency=short_text(entity.get("currency"), upper=True),
            order_ref=order_ref(order.get("receipt")),
        )

    async def refund(self, payment_id: str, amount_cents: int) -> None:
        async with provider_call("Razorpay") as http:
            response = await http.post(
                f"{API}/payments/{payment_id}/refund",
                json={"amount": amount_cents},
                auth=(self.key_id, self._key_secret),
            )
        check_answer("Razorpay", response)
