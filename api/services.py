"""Services: GET/POST /api/services, GET/PATCH /api/services/{id}, subscribe, and /api/services/mine."""

import lib.startup  # noqa: F401  (first: no garbage collection while this function loads)

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert

from lib.core.errors import Conflict
from lib.core.pagination import page_of
from lib.models.services import Service
from lib.rules import catalogue
from lib.rules.ownership import get_owned, not_found
from lib.schemas.common import Page
from lib.schemas.services import (
    ServiceCreate,
    ServiceOut,
    ServiceQuery,
    ServiceUpdate,
    SubscribeIn,
    SubscriptionQuery,
    UserServiceOut,
)
from lib.web.app import create_app, lambda_handler
from lib.web.caching import cdn_cached
from lib.web.endpoints import Call, get, patch, post


@cdn_cached
async def list_services(call: Call[None, ServiceQuery]) -> Page[ServiceOut]:
    return await catalogue.list_items(call, Service, ServiceOut)


@cdn_cached
async def get_service(call: Call[None, None]) -> ServiceOut:
    return await catalogue.get_item(call, Service, ServiceOut)


async def create_service(call: Call[ServiceCreate, None]) -> ServiceOut:
    return await catalogue.create_item(call, Service, ServiceOut)


async def update_service(call: Call[ServiceUpdate, None]) -> ServiceOut:
    return await catalogue.update_item(call, Service, ServiceOut)


async def subscribe_to_service(call: Call[SubscribeIn, None]) -> UserServiceOut:
    # Late imports (`python -X importtime`), here and in list_my_subscriptions: the subscriptions table
    # and the ones it refers to (projects, users), about 12 ms of a cold start, only for subscriptions;
    # the catalogue's reads and writes need neither.
    from lib.models.projects import Project
    from lib.models.user_services import UserService

    body = call.body
    service_id = call.params["id"]
    if await call.db.scalar(select(Service.id).where(Service.id == service_id, Service.is_active)) is None:
        raise not_found(Service, service_id)
    if body.project_id is not None:
        # Even an admin may only attach a subscription to a project of their own.
        await get_owned(call.db, Project, body.project_id, call.me, admin_sees_all=False)
    # The partial unique index allows one active subscription per user and service; ON CONFLICT
    # makes the loser of concurrent subscribes get no row (then 409) instead of an error.
    statement = (
        insert(UserService)
        .values(user_id=call.me.id, service_id=service_id, project_id=body.project_id)
        .on_conflict_do_nothing(
            index_elements=["user_id", "service_id"], index_where=text("status = 'active'")
        )
        .returning(UserService)
    )
    subscription = await call.db.scalar(statement)
    if subscription is None:
        raise Conflict(f"You already have an active subscription to service {service_id}")
    call.report(user_service_id=subscription.id, project_id=body.project_id)
    return UserServiceOut.model_validate(subscription)


async def list_my_subscriptions(call: Call[None, SubscriptionQuery]) -> Page[UserServiceOut]:
    from lib.models.user_services import UserService

    query = call.query
    statement = select(UserService).where(UserService.user_id == call.me.id)
    if query.status:
        statement = statement.where(UserService.status == query.status)
    return await page_of(call.db, statement, UserService, UserServiceOut, query)


ENDPOINTS = [
    get(
        "/api/services",
        list_services,
        auth="optional",
        response=Page[ServiceOut],
        errors=(422,),
        summary="List services",
    ),
    post(
        "/api/services",
        create_service,
        auth="admin",
        response=ServiceOut,
        entity="service",
        errors=(409, 422),
        summary="Create a service",
    ),
    # Declared before the {id} routes; the int converter also keeps "mine" from matching them.
    get(
        "/api/services/mine",
        list_my_subscriptions,
        response=Page[UserServiceOut],
        errors=(422,),
        summary="List my service subscriptions",
    ),
    get(
        "/api/services/{id:int}",
        get_service,
        auth="optional",
        response=ServiceOut,
        entity="service",
        errors=(404,),
        summary="Get a service",
    ),
    patch(
        "/api/services/{id:int}",
        update_service,
        auth="admin",
        response=ServiceOut,
        entity="service",
        errors=(404, 409, 422),
        summary="Update a service",
    ),
    post(
        "/api/services/{id:int}/subscribe",
        subscribe_to_service,
        idempotent=True,
        response=UserServiceOut,
        entity="service",
        errors=(404, 409, 422),
        summary="Subscribe to a service",
    ),
]

app = create_app(ENDPOINTS)
__getattr__ = lambda_handler(app)  # `handler` for AWS Lambda, built on first use
