"""Plans: GET/POST /api/plans, GET/PATCH /api/plans/{id} (anyone reads active plans; admins write)."""

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from lib.errors import Conflict
from lib.models.plans import Plan
from lib.models.users import User
from lib.ownership import not_found
from lib.pagination import paginate
from lib.schemas.common import Page
from lib.schemas.plans import PlanCreate, PlanOut, PlanQuery, PlanUpdate
from lib.web import Call, create_app, get, patch, post

NAME_CONSTRAINT = "uq_plans_name"


def _is_admin(user: User | None) -> bool:
    return user is not None and user.is_admin


def _name_taken(name: Any) -> Conflict:
    return Conflict(f"A plan named {name!r} already exists")


def _violated_constraint(error: IntegrityError) -> str | None:
    # asyncpg's own exception (the DBAPI error's cause) names the constraint that failed.
    return getattr(getattr(error.orig, "__cause__", None), "constraint_name", None)


async def list_plans(call: Call) -> Page[PlanOut]:
    query: PlanQuery = call.query
    statement = select(Plan)
    # Anyone else asking for inactive plans just gets the active ones: nothing to reveal.
    if not (query.include_inactive and _is_admin(call.user)):
        statement = statement.where(Plan.is_active)
    rows, next_cursor = await paginate(call.db, statement, Plan, limit=query.limit, cursor=query.cursor)
    return Page[PlanOut](items=[PlanOut.model_validate(row) for row in rows], next_cursor=next_cursor)


async def get_plan(call: Call) -> PlanOut:
    plan_id = call.params["id"]
    statement = select(Plan).where(Plan.id == plan_id)
    if not _is_admin(call.user):
        statement = statement.where(Plan.is_active)
    plan = await call.db.scalar(statement)
    if plan is None:
        raise not_found(Plan, plan_id)
    return PlanOut.model_validate(plan)


async def create_plan(call: Call) -> PlanOut:
    body: PlanCreate = call.body
    # ON CONFLICT makes a duplicate name (even from a concurrent create) no row instead of an error.
    statement = (
        insert(Plan)
        .values(**body.model_dump())
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(Plan)
    )
    plan = await call.db.scalar(statement)
    if plan is None:
        raise _name_taken(body.name)
    call.entity_id = plan.id
    return PlanOut.model_validate(plan)


async def update_plan(call: Call) -> PlanOut:
    changes = call.body.changes()
    plan_id = call.params["id"]
    if not changes:
        return await get_plan(call)
    call.details = {"fields": sorted(changes)}
    statement = (
        update(Plan)
        .where(Plan.id == plan_id)
        .values(**changes)
        .returning(Plan)
        .execution_options(synchronize_session=False)
    )
    try:
        # A savepoint, so a rename onto a taken name (even a concurrent one) is a clean 409.
        async with call.db.begin_nested():
            plan = await call.db.scalar(statement)
    except IntegrityError as error:
        if _violated_constraint(error) != NAME_CONSTRAINT:
            raise
        raise _name_taken(changes["name"]) from None
    if plan is None:
        raise not_found(Plan, plan_id)
    return PlanOut.model_validate(plan)


ENDPOINTS = [
    get(
        "/api/plans",
        list_plans,
        auth="optional",
        query=PlanQuery,
        response=Page[PlanOut],
        errors=(422,),
        summary="List plans",
    ),
    post(
        "/api/plans",
        create_plan,
        auth="admin",
        body=PlanCreate,
        response=PlanOut,
        entity="plan",
        errors=(409, 422),
        summary="Create a plan",
    ),
    get(
        "/api/plans/{id:int}",
        get_plan,
        auth="optional",
        response=PlanOut,
        entity="plan",
        errors=(404,),
        summary="Get a plan",
    ),
    patch(
        "/api/plans/{id:int}",
        update_plan,
        auth="admin",
        body=PlanUpdate,
        response=PlanOut,
        entity="plan",
        errors=(404, 409, 422),
        summary="Update a plan",
    ),
]

app = create_app(ENDPOINTS)
