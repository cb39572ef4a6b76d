"""Admin requests: GET/POST /api/admin-requests, GET/PATCH /api/admin-requests/{id} (admin resolves)."""

import lib.startup  # noqa: F401  (first: no garbage collection while this function loads)

from typing import Any

from sqlalchemy import func

from lib.core.errors import Conflict, field_error
from lib.models.admin_requests import AdminRequest
from lib.rules import notices
from lib.rules.notifications import Notice, insert_notifying
from lib.rules.ownership import OwnedRead, VisibleList, get_owned
from lib.rules.status_machines import ADMIN_REQUEST
from lib.rules.transitions import transition
from lib.schemas.admin_requests import (
    AdminRequestCreate,
    AdminRequestOut,
    AdminRequestQuery,
    AdminRequestUpdate,
)
from lib.schemas.common import Page
from lib.web.app import create_app, lambda_handler
from lib.web.endpoints import Call, get, patch, post

# What the GETs read with the caller (one round trip): a request by id, a page of requests.
ADMIN_REQUEST_BY_ID = OwnedRead(AdminRequest, AdminRequestOut)
ADMIN_REQUESTS_PAGE = VisibleList(AdminRequest, AdminRequestOut, ("status", "user_id"))


CLOSING = frozenset({"resolved", "rejected"})


def _check_update_shape(changes: dict[str, Any]) -> None:
    """Rules between fields the schema cannot express alone; a 422 naming the field."""
    status = changes.get("status")
    if status is not None and "message" in changes:
        raise field_error(["body", "message"], "cannot be changed together with status")
    if status in CLOSING and "admin_response" not in changes:
        raise field_error(["body", "admin_response"], "is required when resolving or rejecting")
    if status not in CLOSING and "admin_response" in changes:
        raise field_error(["body", "admin_response"], "is set only when resolving or rejecting")


async def list_admin_requests(call: Call[None, AdminRequestQuery]) -> Page[AdminRequestOut]:
    return await ADMIN_REQUESTS_PAGE.page(call)


async def create_admin_request(call: Call[AdminRequestCreate, None]) -> AdminRequestOut:
    body = call.body
    told = [notices.admin_request_opened(call.me.full_name, body.request_type, body.message)]
    values = {"user_id": call.me.id, **body.model_dump()}
    admin_request = await insert_notifying(
        call.db, AdminRequest, values, told, actor_id=call.me.id, send_mail=call.send_after_commit
    )
    call.report(entity_id=admin_request.id)
    return AdminRequestOut.model_validate(admin_request)


async def get_admin_request(call: Call[None, None]) -> AdminRequestOut:
    return await ADMIN_REQUEST_BY_ID.read(call)


async def _move(call: Call[Any, Any], admin_request: AdminRequest, changes: dict[str, Any]) -> AdminRequest:
    if not call.me.is_admin:
        raise Conflict("Only an admin can change a request's status")
    to = changes.pop("status")
    told: list[Notice] = []
    if to in CLOSING:
        told = [notices.admin_request_answered(admin_request.id, to, changes["admin_response"])]
        changes |= {"resolved_by": call.me.id, "resolved_at": func.now()}
    # The conditional UPDATE decides: of two racing moves only one finds the status it expects.
    return await transition(
        call.db,
        AdminRequest,
        admin_request.id,
        call.me,
        machine=ADMIN_REQUEST,
        to=to,
        values=changes,
        notices=told,
        send_mail=call.send_after_commit,
    )


async def _edit_message(
    call: Call[Any, Any], admin_request: AdminRequest, changes: dict[str, Any]
) -> AdminRequest:
    if admin_request.user_id != call.me.id:
        raise Conflict("Only the request's author can edit its message")
    if admin_request.status != "open":
        raise Conflict(
            f"Admin request {admin_request.id} can be edited only while open (it is {admin_request.status})"
        )
    # Still conditional: an admin picking the request up after our read must win over this edit.
    return await transition(
        call.db, AdminRequest, admin_request.id, call.me, allowed_from=("open",), to="open", values=changes
    )


async def update_admin_request(call: Call[AdminRequestUpdate, None]) -> AdminRequestOut:
    changes = call.body.changes()
    _check_update_shape(changes)
    admin_request = await get_owned(call.db, AdminRequest, call.params["id"], call.me)
    if not changes:
        return AdminRequestOut.model_validate(admin_request)
    call.report(fields=sorted(changes))
    if "status" in changes:
        call.report(status=changes["status"])
        admin_request = await _move(call, admin_request, changes)
    else:
        admin_request = await _edit_message(call, admin_request, changes)
    return AdminRequestOut.model_validate(admin_request)


ENDPOINTS = [
    get(
        "/api/admin-requests",
        list_admin_requests,
        reads=ADMIN_REQUESTS_PAGE,
        response=Page[AdminRequestOut],
        errors=(422,),
        summary="List admin requests",
    ),
    post(
        "/api/admin-requests",
        create_admin_request,
        transaction=False,
        response=AdminRequestOut,
        entity="admin_request",
        errors=(422,),
        summary="Send a request to the admins",
    ),
    get(
        "/api/admin-requests/{id:int}",
        get_admin_request,
        reads=ADMIN_REQUEST_BY_ID,
        response=AdminRequestOut,
        entity="admin_request",
        errors=(404,),
        summary="Get an admin request",
    ),
    patch(
        "/api/admin-requests/{id:int}",
        update_admin_request,
        response=AdminRequestOut,
        entity="admin_request",
        errors=(404, 409, 422),
        summary="Work on, resolve or reject a request; the author edits it while open",
    ),
]

app = create_app(ENDPOINTS)
__getattr__ = lambda_handler(app)  # `handler` for AWS Lambda, built on first use
