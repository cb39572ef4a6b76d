"""Orders: GET/POST /api/orders, GET/PATCH /api/orders/{id} (the order status machine)."""

from sqlalchemy import select

from lib.core.pagination import matching, page_of
from lib.models.orders import Order
from lib.models.plans import Plan
from lib.models.projects import Project
from lib.rules import notices
from lib.rules.ownership import get_owned, not_found, visible
from lib.rules.status_machines import ORDER
from lib.rules.transitions import transition
from lib.schemas.common import Page
from lib.schemas.orders import OrderCreate, OrderOut, OrderQuery, OrderStatusUpdate
from lib.web.app import create_app, lambda_handler
from lib.web.endpoints import Call, get, patch, post


async def list_orders(call: Call[None, OrderQuery]) -> Page[OrderOut]:
    query = call.query
    statement = select(Order).where(*visible(Order, call.me))
    statement = matching(statement, Order, query, "status", "project_id", "user_id")
    return await page_of(call.db, statement, Order, OrderOut, query)


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
    return OrderOut.model_validate(await get_owned(call.db, Order, call.params["id"], call.me))


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


ENDPOINTS = [
    get("/api/orders", list_orders, response=Page[OrderOut], summary="List orders"),
    post(
        "/api/orders",
        create_order,
        transaction=False,
        response=OrderOut,
        entity="order",
        errors=(404, 422),
        summary="Order a plan",
    ),
    get(
        "/api/orders/{id:int}",
        get_order,
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
]

app = create_app(ENDPOINTS)
__getattr__ = lambda_handler(app)  # `handler` for AWS Lambda, built on first use
