"""Plans and services are both a priced catalogue: public reads of active items, admin writes."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from lib.core.db import violated_constraint
from lib.core.errors import Conflict
from lib.core.pagination import page_of
from lib.rules.ownership import label, not_found
from lib.schemas.common import Page
from lib.web.endpoints import Call

OutT = TypeVar("OutT", bound=BaseModel)


def _sees_inactive(call: Call[Any, Any]) -> bool:
    return call.user is not None and call.user.is_admin


def _name_taken(model: Any, name: Any) -> Conflict:
    return Conflict(f"A {label(model).lower()} named {name!r} already exists")


async def list_items(call: Call[Any, Any], model: Any, out: type[OutT]) -> Page[OutT]:
    statement = select(model)
    # Anyone else asking for inactive items just gets the active ones: nothing to reveal.
    if not (call.query.include_inactive and _sees_inactive(call)):
        statement = statement.where(model.is_active)
    return await page_of(call.db, statement, model, out, call.query)


async def get_item(call: Call[Any, Any], model: Any, out: type[OutT]) -> OutT:
    item_id = call.params["id"]
    statement = select(model).where(model.id == item_id)
    if not _sees_inactive(call):
        statement = statement.where(model.is_active)
    item = await call.db.scalar(statement)
    if item is None:
        raise not_found(model, item_id)
    return out.model_validate(item)


async def create_item(call: Call[Any, Any], model: Any, out: type[OutT]) -> OutT:
    # ON CONFLICT makes a duplicate name (even from a concurrent create) no row instead of an error.
    statement = (
        insert(model)
        .values(**call.body.model_dump())
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(model)
    )
    item = await call.db.scalar(statement)
    if item is None:
        raise _name_taken(model, call.body.name)
    call.report(entity_id=item.id)
    return out.model_validate(item)


async def update_item(call: Call[Any, Any], model: Any, out: type[OutT]) -> OutT:
    changes = call.body.changes()
    if not changes:
        return await get_item(call, model, out)
    item_id = call.params["id"]
    call.report(fields=sorted(changes))
    statement = (
        update(model)
        .where(model.id == item_id)
        .values(**changes)
        .returning(model)
        .execution_options(synchronize_session=False)
    )
    try:
        # A savepoint, so a rename onto a taken name (even a concurrent one) is a clean 409.
        async with call.db.begin_nested():
            item = await call.db.scalar(statement)
    except IntegrityError as error:
        if violated_constraint(error) != f"uq_{model.__tablename__}_name":
            raise
        raise _name_taken(model, changes["name"]) from None
    if item is None:
        raise not_found(model, item_id)
    return out.model_validate(item)
