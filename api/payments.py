"""Payments: POST /api/payments/{provider}/webhook (signed by the provider), POST .../razorpay/verify"""

import lib.startup  # noqa: F401  (first: no garbage collection while this function loads)

from typing import Any

from sqlalchemy import select

from lib.payments.providers import BadSignature, named
from lib.rules.ownership import not_found
from lib.schemas.orders import OrderOut, RazorpayVerifyIn, WebhookOut
from lib.web.app import create_app, lambda_handler
from lib.web.endpoints import Call, post

# The provider's id of a payment can be long, but not this long: the raw body is read whole first.
MAX_WEBHOOK_BYTES = 256 * 1024


async def webhook(call: Call[None, None]) -> WebhookOut:
    """Checked on the raw body, then applied once per provider event, whatever the order of delivery."""
    provider = named(call.params["provider"])
    raw = await call.request.body()
    if len(raw) > MAX_WEBHOOK_BYTES:
        raise BadSignature("The event is larger than any provider sends")
    headers = {name.lower(): value for name, value in call.request.headers.items()}
    event = provider.parse_webhook(raw, headers)
    # Late import, once the event is the provider's: applying it (the order and payment-event models,
    # notices, notifications and their mail) costs ~45 ms of a cold start (`python -X importtime`), which a
    # forged, oversized or misrouted request never pays.
    from lib.rules import payments

    outcome = await payments.apply(call.db, provider.name, event, send_mail=call.send_after_commit)
    if outcome is None:
        call.recorded = False  # a redelivery: nothing changed, the first delivery's row stands
        return WebhookOut(received=True, outcome="duplicate")
    call.report(provider=provider.name, event_type=event.event_type, outcome=outcome)
    return WebhookOut(received=True, outcome=outcome)


async def verify_razorpay(call: Call[RazorpayVerifyIn, None]) -> OrderOut:
    """Razorpay Checkout's success handler: the signature proves the payment; racing the webhook, one wins."""
    from lib.models.orders import Order
    from lib.payments.razorpay import Razorpay
    from lib.rules import payments

    provider: Any = named("razorpay")
    assert isinstance(provider, Razorpay)
    body = call.body
    if not provider.checkout_signature_matches(
        body.razorpay_order_id, body.razorpay_payment_id, body.razorpay_signature
    ):
        raise BadSignature()
    statement = select(Order).where(
        Order.provider_order_id == body.razorpay_order_id,
        Order.user_id == call.me.id,
        Order.payment_provider == "razorpay",
    )
    order = await call.db.scalar(statement)
    if order is None:
        raise not_found(Order, body.razorpay_order_id)
    call.report(entity_id=order.id, provider="razorpay")
    moved = await payments.apply_verified(
        call.db, order, body.razorpay_order_id, body.razorpay_payment_id, send_mail=call.send_after_commit
    )
    if moved is not None:
        return OrderOut.model_validate(moved)
    await call.db.refresh(order)
    return OrderOut.model_validate(order)


ENDPOINTS = [
    post(
        "/api/payments/{provider}/webhook",
        webhook,
        auth="public",
        response=WebhookOut,
        status=200,
        entity="order",
        errors=(400, 404),
        summary="A payment provider's signed event",
    ),
    post(
        "/api/payments/razorpay/verify",
        verify_razorpay,
        response=OrderOut,
        status=200,
        entity="order",
        errors=(400, 404, 422),
        summary="Confirm a Razorpay Checkout payment by its signature",
    ),
]

app = create_app(ENDPOINTS)
__getattr__ = lambda_handler(app)  # `handler` for AWS Lambda, built on first use
