"""Stripe: Checkout Sessions through its REST API, webhooks verified by the `stripe` library, refunds."""

from __future__ import annotations

import json
from typing import Any

from lib.core.config import Settings
from lib.mail.links import frontend_link
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

API = "https://api.stripe.com/v1"
KINDS: dict[str, EventKind] = {
    "checkout.session.completed": "paid",
    "checkout.session.async_payment_succeeded": "paid",
    "checkout.session.async_payment_failed": "failed",
    "checkout.session.expired": "expired",
    "charge.refunded": "refunded",
}
# Stripe's default: a signed event older than this is refused (a replayed delivery).
TOLERANCE_SECONDS = 300


class StripeCheckout:
    name: PaymentProvider = "stripe"

    def __init__(self, settings: Settings) -> None:
        assert settings.stripe_secret_key and settings.stripe_webhook_secret
        self._secret_key = settings.stripe_secret_key
        self._webhook_secret = settings.stripe_webhook_secret

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._secret_key}"}

    async def create_checkout(self, order: OrderFacts) -> Checkout:
        form = {
            "mode": "payment",
            "client_reference_id": str(order.id),
            "metadata[order_id]": str(order.id),
            "line_items[0][quantity]": "1",
            "line_items[0][price_data][currency]": order.currency.lower(),
            "line_items[0][price_data][unit_amount]": str(order.amount_cents),
            "line_items[0][price_data][product_data][name]": order.description,
            "success_url": frontend_link(f"/orders/{order.id}", checkout="success"),
            "cancel_url": frontend_link(f"/orders/{order.id}", checkout="cancelled"),
        }
        async with provider_call("Stripe") as http:
            response = await http.post(f"{API}/checkout/sessions", data=form, headers=self._headers())
        answer = check_answer("Stripe", response)
        return Checkout(str(answer["id"]), {"provider": "stripe", "checkout_url": str(answer["url"])})

    def reuse_checkout(self, provider_order_id: str, amount_cents: int, currency: str) -> None:
        """A Checkout Session expires: every checkout opens a new one (any of them pays the order)."""
        return None

    def parse_webhook(self, raw: bytes, headers: dict[str, str]) -> ProviderEvent:
        # Late import: the stripe library costs 200-280 ms; only Stripe's webhook pays for it.
        import stripe

        try:
            payload = raw.decode("utf-8")
            stripe.WebhookSignature.verify_header(
                payload, headers.get("stripe-signature", ""), self._webhook_secret, TOLERANCE_SECONDS
            )
            body: dict[str, Any] = json.loads(payload)
            event_id, event_type = str(body["id"]), str(body["type"])
            item: dict[str, Any] = body["data"]["object"]
        except (stripe.SignatureVerificationError, UnicodeDecodeError):
            raise BadSignature() from None
        except (ValueError, KeyError, TypeError):
            raise BadSignature("The event is not a Stripe event") from None
        kind = KINDS.get(event_type, "other")
        if event_type == "checkout.session.completed" and item.get("payment_status") != "paid":
            kind = "other"  # a delayed method: paid later, as async_payment_succeeded
        refund = event_type == "charge.refunded"
        amount = item.get("amount_refunded" if refund else "amount_total")
        return ProviderEvent(
            event_id=event_id[:255],
            event_type=event_type[:100],
            kind=kind,
            provider_order_id=None if refund else short_text(item.get("id")),
            provider_payment_id=short_text(item.get("payment_intent")),
            amount_cents=amount if isinstance(amount, int) else None,
            currency=short_text(item.get("currency"), upper=True),
            order_ref=None if refund else order_ref(item.get("client_reference_id")),
        )

    async def refund(self, payment_id: str, amount_cents: int) -> None:
        form = {"payment_intent": payment_id, "amount": str(amount_cents)}
        async with provider_call("Stripe") as http:
            response = await http.post(f"{API}/refunds", data=form, headers=self._headers())
        check_answer("Stripe", response)
