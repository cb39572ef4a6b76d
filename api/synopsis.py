"""Synopses: GET/POST /api/synopsis, GET/PATCH /api/synopsis/{id} (edits and the review machine)."""

import lib.startup  # noqa: F401  (first: no garbage collection while this function loads)

from typing import Any

from sqlalchemy import func, update

from lib.core.errors import Conflict
from lib.models.projects import Project
from lib.models.synopsis import Synopsis
from lib.rules import notices
from lib.rules.notifications import Notice, insert_notifying
from lib.rules.ownership import OwnedRead, VisibleList, get_owned, owned
from lib.rules.status_machines import SYNOPSIS
from lib.rules.transitions import transition
from lib.schemas.common import Page
from lib.schemas.synopsis import SynopsisCreate, SynopsisOut, SynopsisQuery, SynopsisUpdate
from lib.web.app import create_app, lambda_handler
from lib.web.endpoints import Call, get, patch, post

# What the GETs read with the caller (one round trip): a synopsis by id, a page of synopses.
SYNOPSIS_BY_ID = OwnedRead(Synopsis, SynopsisOut)
SYNOPSES_PAGE = VisibleList(Synopsis, SynopsisOut, ("status", "project_id", "user_id"))


EDITABLE = ("draft", "submitted")


async def _edit_content(call: Call[Any, Any], synopsis_id: int, changes: dict[str, Any]) -> Synopsis:
    """Change the text: only its author, only while nobody reviews it (both checks in the UPDATE).

    An admin reviews a synopsis (status, feedback) and never rewrites what a student submitted.
    """
    statement = (
        update(Synopsis)
        .where(*owned(Synopsis, synopsis_id, call.me, admin_sees_all=False), Synopsis.status.in_(EDITABLE))
        .values(**changes)
        .returning(Synopsis)
        .execution_options(synchronize_session=False)
    )
    synopsis = await call.db.scalar(statement)
    if synopsis is None:
        current = await get_owned(call.db, Synopsis, synopsis_id, call.me)  # 404 if unseen
        if current.user_id != call.me.id:
            raise Conflict(
                "Only the synopsis's author can edit its text; an admin changes status and feedback"
            )
        raise Conflict(
            f"Synopsis {synopsis_id} is {current.status}; it can be edited only while draft or submitted"
        )
    return synopsis


def _move_notices(synopsis_id: int, to: str, feedback: str | None, author: str) -> list[Notice]:
    if to in notices.REVIEW_TITLES:
        return [notices.synopsis_reviewed(synopsis_id, to, feedback)]
    if to == "submitted":
        return [notices.synopsis_submitted(author, f"Synopsis {synopsis_id} is waiting for review.")]
    return []


async def _move(call: Call[Any, Any], synopsis_id: int, to: str, feedback: str | None) -> Synopsis:
    values: dict[str, Any] = {}
    if SYNOPSIS.admin_only(to):
        values = {"reviewed_by": call.me.id, "reviewed_at": func.now()}
        if feedback is not None:
            values["feedback"] = feedback
    return await transition(
        call.db,
        Synopsis,
        synopsis_id,
        call.me,
        machine=SYNOPSIS,
        to=to,
        values=values,
        notices=_move_notices(synopsis_id, to, feedback, call.me.full_name),
        send_mail=call.send_after_commit,
    )


async def list_synopses(call: Call[None, SynopsisQuery]) -> Page[SynopsisOut]:
    return await SYNOPSES_PAGE.page(call)


async def create_synopsis(call: Call[SynopsisCreate, None]) -> SynopsisOut:
    body = call.body
    await get_owned(call.db, Project, body.project_id, call.me, admin_sees_all=False)
    told: list[Notice] = []
    if body.status == "submitted":
        told = [notices.synopsis_submitted(call.me.full_name, f"“{body.title}” is waiting for review.")]
    values = {"user_id": call.me.id, **body.model_dump()}
    synopsis = await insert_notifying(
        call.db, Synopsis, values, told, actor_id=call.me.id, send_mail=call.send_after_commit
    )
    call.report(entity_id=synopsis.id, project_id=body.project_id, status=body.status)
    return SynopsisOut.model_validate(synopsis)


async def get_synopsis(call: Call[None, None]) -> SynopsisOut:
    return await _current(call)


async def _current(call: Call[Any, Any]) -> SynopsisOut:
    return await SYNOPSIS_BY_ID.read(call)


async def update_synopsis(call: Call[SynopsisUpdate, None]) -> SynopsisOut:
    changes = call.body.changes()
    synopsis_id = call.params["id"]
    if not changes:
        return await _current(call)
    call.report(fields=sorted(changes))
    to = changes.pop("status", None)
    feedback = changes.pop("feedback", None)  # the schema lets it through only with a review status
    synopsis = None
    if changes:
        synopsis = await _edit_content(call, synopsis_id, changes)
    if to is not None:
        call.report(status=to)
        synopsis = await _move(call, synopsis_id, to, feedback)
    return SynopsisOut.model_validate(synopsis)


ENDPOINTS = [
    get(
        "/api/synopsis",
        list_synopses,
        reads=SYNOPSES_PAGE,
        response=Page[SynopsisOut],
        summary="List synopses",
    ),
    post(
        "/api/synopsis",
        create_synopsis,
        transaction=False,
        response=SynopsisOut,
        entity="synopsis",
        errors=(404, 422),
        summary="Write a synopsis for a project",
    ),
    get(
        "/api/synopsis/{id:int}",
        get_synopsis,
        reads=SYNOPSIS_BY_ID,
        response=SynopsisOut,
        entity="synopsis",
        errors=(404,),
        summary="Get a synopsis",
    ),
    patch(
        "/api/synopsis/{id:int}",
        update_synopsis,
        response=SynopsisOut,
        entity="synopsis",
        errors=(404, 409, 422),
        summary="Edit, submit or review a synopsis",
    ),
]

app = create_app(ENDPOINTS)
__getattr__ = lambda_handler(app)  # `handler` for AWS Lambda, built on first use
