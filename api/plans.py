"""Plans: GET/POST /api/plans, GET/PATCH /api/plans/{id} (anyone reads active plans; admins write)."""

import lib.startup  # noqa: F401  (first: no garbage collection while this function loads)

from lib.models.plans import Plan
from lib.rules import catalogue
from lib.schemas.common import Page
from lib.schemas.plans import PlanCreate, PlanOut, PlanQuery, PlanUpdate
from lib.web.app import create_app, lambda_handler
from lib.web.caching import cdn_cached
from lib.web.endpoints import Call, get, patch, post


@cdn_cached
async def list_plans(call: Call[None, PlanQuery]) -> Page[PlanOut]:
    return await catalogue.list_items(call, Plan, PlanOut)


@cdn_cached
async def get_plan(call: Call[None, None]) -> PlanOut:
    return await catalogue.get_item(call, Plan, PlanOut)


async def create_plan(call: Call[PlanCreate, None]) -> PlanOut:
    return await catalogue.create_item(call, Plan, PlanOut)


async def update_plan(call: Call[PlanUpdate, None]) -> PlanOut:
    return await catalogue.update_item(call, Plan, PlanOut)


ENDPOINTS = [
    get(
        "/api/plans",
        list_plans,
        auth="optional",
        response=Page[PlanOut],
        errors=(422,),
        summary="List plans",
    ),
    post(
        "/api/plans",
        create_plan,
        auth="admin",
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
        response=PlanOut,
        entity="plan",
        errors=(404, 409, 422),
        summary="Update a plan",
    ),
]

app = create_app(ENDPOINTS)
__getattr__ = lambda_handler(app)  # `handler` for AWS Lambda, built on first use
