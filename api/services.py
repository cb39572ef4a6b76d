"""Services: GET/POST /api/services, GET/PATCH /api/services/{id}, subscribe, and /api/services/mine."""

from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from lib.errors import Conflict
from lib.models.projects import Project
from lib.models.services import Service
from lib.models.user_services import UserService
from lib.models.users import User
from lib.ownership import get_owned, not_found
from lib.pagination import paginate
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
from lib.web import Call, create_app, get, patch, post

NAME_CONSTRAINT = "uq_services_name"


def _is_admin(user: User | None) -> bool:
    return user is not None and user.is_admin


def _name_taken(name: Any) -> Conflict:
    return Conflict(f"A service named {name!r} already exists")


def _violated_constraint(error: IntegrityError) -> str | None:
    # asyncpg's own exception (the DBAPI error's cause) names the constraint that failed.
    return getattr(getattr(error.orig, "__cause__", None), "constraint_name", None)


async def list_services(call: Call) -> Page[ServiceOut]:
    query: ServiceQuery = call.query
    statement = select(Service)
    # Anyone else asking for inactive services just gets the active ones: nothing to reveal.
    if not (query.include_inactive and _is_admin(call.user)):
        statement = statement.where(Service.is_active)
    rows, next_cursor = await paginate(call.db, statement, Service, limit=query.limit, cursor=query.cursor)
    return Page[ServiceOut](items=[ServiceOut.model_validate(row) for row in rows], next_cursor=next_cursor)


async def get_service(call: Call) -> ServiceOut:
    service_id = call.params["id"]
    statement = select(Service).where(Service.id == service_id)
    if not _is_admin(call.user):
        statement = statement.where(Service.is_active)
    service = await call.db.scalar(statement)
    if service is None:
        raise not_found(Service, service_id)
    return ServiceOut.model_validate(service)


async def create_service(call: Call) -> ServiceOut:
    body: ServiceCreate = call.body
    # ON CONFLICT makes a duplicate name (even from a concurrent create) no row instead of an error.
    statement = (
        insert(Service)
        .values(**body.model_dump())
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(Service)
    )
    service = await call.db.scalar(statement)
    if service is None:
        raise _name_taken(body.name)
    call.entity_id = service.id
    return ServiceOut.model_validate(service)


async def update_service(call: Call) -> ServiceOut:
    changes = call.body.changes()
    service_id = call.params["id"]
    if not changes:
        return await get_service(call)
    call.details = {"fields": sorted(changes)}
    statement = (
        update(Service)
        .where(Service.id == service_id)
        .values(**changes)
        .returning(Service)
        .execution_options(synchronize_session=False)
    )
    try:
        # A savepoint, so a rename onto a taken name (even a concurrent one) is a clean 409.
        async with call.db.begin_nested():
            service = await call.db.scalar(statement)
    except IntegrityError as error:
        if _violated_constraint(error) != NAME_CONSTRAINT:
            raise
        raise _name_taken(changes["name"]) from None
    if service is None:
        raise not_found(Service, service_id)
    return ServiceOut.model_validate(service)


async def subscribe_to_service(call: Call) -> UserServiceOut:
    body: SubscribeIn = call.body
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
    call.details = {"user_service_id": subscription.id, "project_id": body.project_id}
    return UserServiceOut.model_validate(subscription)


async def list_my_subscriptions(call: Call) -> Page[UserServiceOut]:
    query: SubscriptionQuery = call.query
    statement = select(UserService).where(UserService.user_id == call.me.id)
    if query.status:
        statement = statement.where(UserService.status == query.status)
    rows, next_cursor = await paginate(
        call.db, statement, UserService, limit=query.limit, cursor=query.cursor
    )
    return Page[UserServiceOut](
        items=[UserServiceOut.model_validate(row) for row in rows], next_cursor=next_cursor
    )


ENDPOINTS = [
    get(
        "/api/services",
        list_services,
        auth="optional",
        query=ServiceQuery,
        response=Page[ServiceOut],
        errors=(422,),
        summary="List services",
    ),
    post(
        "/api/services",
        create_service,
        auth="admin",
        body=ServiceCreate,
        response=ServiceOut,
        entity="service",
        errors=(409, 422),
        summary="Create a service",
    ),
    # Declared before the {id} routes; the int converter also keeps "mine" from matching them.
    get(
        "/api/services/mine",
        list_my_subscriptions,
        query=SubscriptionQuery,
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
        body=ServiceUpdate,
        response=ServiceOut,
        entity="service",
        errors=(404, 409, 422),
        summary="Update a service",
    ),
    post(
        "/api/services/{id:int}/subscribe",
        subscribe_to_service,
        body=SubscribeIn,
        response=UserServiceOut,
        entity="service",
        errors=(404, 409, 422),
        summary="Subscribe to a service",
    ),
]

app = create_app(ENDPOINTS)
