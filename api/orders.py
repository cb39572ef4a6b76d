"""Orders: GET/POST /api/orders, GET/PATCH /api/orders/{id} (the order status machine)."""

import lib.startup  # noqa: F401  (first: no garbage collection while this function loads)

from sqlalchemy import select, update

from lib.core.db import release
from lib.core.errors import Conflict
from lib.models.orders import Order
from lib.models.plans import Plan
from lib.models.projects import Project
from lib.rules import notices
from lib.rules.ownership import OwnedRead, VisibleList, get_owned, not_found
from lib.rules.status_machines import ORDER
from lib.rules.transitions import transition
from lib.schemas.common import Page
from lib.schemas.orders import CheckoutOut, OrderCreate, OrderOut, OrderQuery, OrderStatusUpdate
from lib.web.app import create_app, lambda_handler
from lib.web.endpoints import Call, get, patch, post

# What the GETs read with the caller (one round trip): an order by id, a page of orders.
ORDER_BY_ID = OwnedRead(Order, OrderOut)
ORDERS_PAGE = VisibleList(Order, OrderOut, ("status", "project_id", "user_id"))


async def list_orders(call: Call[None, OrderQuery]) -> Page[OrderOut]:
    return await ORDERS_PAGE.page(call)


async def create_order(call: Call[OrderCreate, None]) -> OrderOut:
    body = call.body
    plan = await call.db.scalar(select(Plan).where(Plan.id == body.plan_id, Plan.is_active.is_(True)))
    if plan is None:
        raise not_found(Plan, body.plan_id)
    if body.project_id is not None:
        # Even an admin orders only for their own project: an order is the caller's purchase.
        await get_owned(call.db, Project, body.project_id, call.me, admin_sees_all=False)
    # The price is copied, so a later change to the plan never changes what was ordered.
    order = Order(
        user_id=call.me.id,
        plan_id=plan.id,
        project_id=body.project_id,
        amount_cents=plan.price_cents,
        currency=plan.currency,
        status="pending",
    )
    await call.insert(order)
    call.report(plan_id=plan.id, amount_cents=plan.price_cents, currency=plan.currency)
    return OrderOut.model_validate(order)


async def get_order(call: Call[None, None]) -> OrderOut:
    return await ORDER_BY_ID.read(call)


async def update_order_status(call: Call[OrderStatusUpdate, None]) -> OrderOut:
    to = call.body.status
    call.report(status=to)
    order = await transition(
        call.db,
        Order,
        call.params["id"],
        call.me,
        machine=ORDER,
        to=to,
        notices=[notices.order_status(call.params["id"], to)],  # not sent when the owner moves it
        send_mail=call.send_after_commit,
    )
    return OrderOut.model_validate(order)


REFUNDABLE = ("paid", "in_progress", "completed")


async def checkout(call: Call[None, None]) -> CheckoutOut:
    """Start paying for a pending order; the provider is called with no database connection held."""
    from lib.payments.providers import OrderFacts, PaymentsNotConfigured, current

    order = await get_owned(call.db, Order, call.params["id"], call.me, admin_sees_all=False)
    if order.status != "pending":
        raise Conflict(f"Order {order.id} is {order.status}; only a pending order can be paid")
    provider = current()
    if provider is None:
        raise PaymentsNotConfigured()
    if order.payment_provider == provider.name and order.provider_order_id:
        reused = provider.reuse_checkout(order.provider_order_id, order.amount_cents, order.currency)
        if reused is not None:
            return CheckoutOut.model_validate(reused.client)
    plan = await call.db.get(Plan, order.plan_id)
    facts = OrderFacts(
        order.id, order.amount_cents, order.currency, plan.name if plan else f"Order {order.id}"
    )
    await release(call.db)
    started = await provider.create_checkout(facts)
    kept = await call.db.scalar(
        update(Order)
        .where(Order.id == order.id, Order.status == "pending")
        .values(payment_provider=provider.name, provider_order_id=started.provider_order_id)
        .returning(Order.id)
    )
    if kept is None:
        raise Conflict(f"Order {order.id} changed while the payment was being set up; reload it")
    call.report(provider=provider.name)
    return CheckoutOut.model_validate(started.client)


async def refund(call: Call[None, None]) -> OrderOut:
    """Refund through the provider that took the payment (none for a manual one), then mark it refunded."""
    from lib.payments.providers import current
    from lib.rules.payments import move

    order = await get_owned(call.db, Order, call.params["id"], call.me)
    if order.status not in REFUNDABLE:
        raise Conflict(f"Order {order.id} is {order.status}; only a paid order can be refunded")
    provider = current()
    if order.provider_payment_id and order.payment_provider:
        if provider is None or provider.name != order.payment_provider:
            raise Conflict(
                f"Order {order.id} was paid through {order.payment_provider}, which is not configured"
            )
        await release(call.db)
        await provider.refund(order.provider_payment_id, order.amount_cents)
    refunded = await move(call.db, order.id, "refunded", {}, send_mail=call.send_after_commit)
    if refunded is None:
        raise Conflict(f"Order {order.id} changed while it was being refunded; reload it")
    call.report(provider=order.payment_provider or "manual", amount_cents=order.amount_cents)
    return OrderOut.model_validate(refunded)


ENDPOINTS = [
    get("/api/orders", list_orders, reads=ORDERS_PAGE, response=Page[OrderOut], summary="List orders"),
    post(
        "/api/orders",
        create_order,
        transaction=False,
        idempotent=True,
        response=OrderOut,
        entity="order",
        errors=(404, 422),
        summary="Order a plan",
    ),
    get(
        "/api/orders/{id:int}",
        get_order,
        reads=ORDER_BY_ID,
        response=OrderOut,
        entity="order",
        errors=(404,),
        summary="Get an order",
    ),
    patch(
        "/api/orders/{id:int}",
        update_order_status,
        transaction=False,
        response=OrderOut,
        entity="order",
        errors=(404, 409, 422),
        summary="Move an order to another status",
    ),
    post(
        "/api/orders/{id:int}/checkout",
        checkout,
        idempotent=True,
        response=CheckoutOut,
        entity="order",
        errors=(404, 409, 422, 503),
        summary="Start paying for a pending order",
    ),
    post(
        "/api/orders/{id:int}/refund",
        refund,
        auth="admin",
        response=OrderOut,
        status=200,
        entity="order",
        errors=(404, 409, 503),
        summary="Refund a paid order through its provider",
    ),
]

app = create_app(ENDPOINTS)
__getattr__ = lambda_handler(app)  # `handler` for AWS Lambda, built on first use
