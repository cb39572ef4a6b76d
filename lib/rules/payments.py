"""Applying payments: each provider event recorded once, then the order moved when the money matches."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from lib.models.orders import Order
from lib.models.payment_events import PaymentEvent
from lib.models.statuses import PaymentOutcome
from lib.payments.providers import ProviderEvent
from lib.rules import notices
from lib.rules.notifications import Notice, unsent, write_notifying
from lib.rules.status_machines import ORDER


def _money(amount_cents: int | None, currency: str | None) -> str:
    return (
        "an unknown amount" if amount_cents is None else f"{amount_cents} {currency or '?'} (smallest unit)"
    )


async def record(db: AsyncSession, provider: str, event: ProviderEvent) -> int | None:
    """Claim the event: its new row's id, or None when this provider event was recorded before.

    A redelivery, even a concurrent one, waits on the unique (provider, event_id) key until the
    first delivery's transaction ends, then finds the row: the event is applied at most once.
    """
    statement = (
        insert(PaymentEvent)
        .values(
            provider=provider,
            event_id=event.event_id,
            event_type=event.event_type,
            provider_order_id=event.provider_order_id,
            provider_payment_id=event.provider_payment_id,
            amount_cents=event.amount_cents,
            currency=event.currency,
            outcome="ignored",
        )
        .on_conflict_do_nothing(index_elements=[PaymentEvent.provider, PaymentEvent.event_id])
        .returning(PaymentEvent.id)
    )
    event_id: int | None = await db.scalar(statement)
    return event_id


async def find_order(db: AsyncSession, provider: str, event: ProviderEvent) -> Order | None:
    """The order an event is about: by the provider's order id, its payment id, or our echoed id."""
    matches = []
    if event.provider_order_id:
        matches.append(Order.provider_order_id == event.provider_order_id)
    if event.provider_payment_id:
        matches.append(Order.provider_payment_id == event.provider_payment_id)
    if event.order_ref is not None:
        matches.append(Order.id == event.order_ref)
    if not matches:
        return None
    statement = select(Order).where(Order.payment_provider == provider, or_(*matches)).limit(1)
    order: Order | None = await db.scalar(statement)
    return order


async def move(
    db: AsyncSession,
    order_id: int,
    to: str,
    values: Mapping[str, str | None],
    *,
    send_mail: Callable[[int], None] = unsent,
) -> Order | None:
    """Move the order to `to` as a payment does (from the statuses an admin could), telling its owner.

    One conditional UPDATE with its notification: of a checkout verification and a webhook racing for
    one payment, only one finds the order pending; None for the other.
    """
    change = (
        update(Order)
        .where(Order.id == order_id, Order.status.in_(ORDER.sources(to, admin=True)))
        .values(status=to, **values)
        .returning(Order)
        .execution_options(synchronize_session=False)
    )
    told = [notices.order_status(order_id, to)]
    return await write_notifying(db, change, Order, told, actor_id=None, send_mail=send_mail)


async def apply(
    db: AsyncSession, provider: str, event: ProviderEvent, *, send_mail: Callable[[int], None] = unsent
) -> PaymentOutcome | None:
    """Record `event` and apply it, in the caller's transaction; its outcome, None for a redelivery."""
    recorded = await record(db, provider, event)
    if recorded is None:
        return None
    order = await find_order(db, provider, event)
    outcome: PaymentOutcome = "ignored"
    told: list[Notice] = []
    if order is not None and event.kind == "paid":
        if (event.amount_cents, event.currency) != (order.amount_cents, order.currency):
            outcome = "mismatch"
            paid, expected = (
                _money(event.amount_cents, event.currency),
                _money(order.amount_cents, order.currency),
            )
            told = [notices.payment_mismatch(order.id, provider, paid, expected)]
        elif await move(
            db, order.id, "paid", {"provider_payment_id": event.provider_payment_id}, send_mail=send_mail
        ):
            outcome = "applied"
    elif (
        order is not None
        and event.kind == "refunded"
        and await move(db, order.id, "refunded", {}, send_mail=send_mail)
    ):
        outcome = "applied"
    change = (
        update(PaymentEvent)
        .where(PaymentEvent.id == recorded)
        .values(outcome=outcome, order_id=order.id if order is not None else None)
        .returning(PaymentEvent)
    )
    await write_notifying(db, change, PaymentEvent, told, actor_id=None, send_mail=send_mail)
    return outcome


async def apply_verified(
    db: AsyncSession,
    order: Order,
    provider_order_id: str,
    payment_id: str,
    *,
    send_mail: Callable[[int], None] = unsent,
) -> Order | None:
    """Razorpay Checkout's verified payment: recorded once (as `verify:<payment id>`), then the order
    paid unless the webhook was first; the order as moved, or None when nothing changed."""
    event = ProviderEvent(
        event_id=f"verify:{payment_id}",
        event_type="checkout.verified",
        kind="paid",
        provider_order_id=provider_order_id,
        provider_payment_id=payment_id,
        amount_cents=None,  # the signature vouches for the Razorpay order, made for this order's amount
        currency=None,
    )
    recorded = await record(db, "razorpay", event)
    if recorded is None:
        return None
    moved = await move(db, order.id, "paid", {"provider_payment_id": payment_id}, send_mail=send_mail)
    await db.execute(
        update(PaymentEvent)
        .where(PaymentEvent.id == recorded)
        .values(outcome="applied" if moved else "ignored", order_id=order.id)
    )
    return moved
