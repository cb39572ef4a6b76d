"""Meetings: GET/POST /api/meetings, GET/PATCH /api/meetings/{id} (admin confirms, owner reschedules)."""

import lib.startup  # noqa: F401  (first: no garbage collection while this function loads)

from typing import Any

from lib.core.errors import Conflict, field_error
from lib.models.meetings import Meeting
from lib.models.projects import Project
from lib.rules import notices
from lib.rules.notifications import Notice, insert_notifying
from lib.rules.ownership import OwnedRead, VisibleList, get_owned
from lib.rules.status_machines import MEETING
from lib.rules.transitions import transition
from lib.schemas.common import Page
from lib.schemas.meetings import MeetingCreate, MeetingOut, MeetingQuery, MeetingUpdate
from lib.web.app import create_app, lambda_handler
from lib.web.endpoints import Call, get, patch, post

# The row a GET of `{id}` answers, read with the caller (one round trip).
MEETING_BY_ID = OwnedRead(Meeting, MeetingOut)
MEETINGS_PAGE = VisibleList(
    Meeting,
    MeetingOut,
    ("status", "user_id"),
    filters={"from_": lambda at: Meeting.scheduled_at >= at, "to": lambda at: Meeting.scheduled_at <= at},
)


RESCHEDULE_FIELDS = ("scheduled_at", "duration_minutes", "agenda")


def _check_update_shape(changes: dict[str, Any]) -> None:
    """Rules between fields the schema cannot express alone; a 422 naming the field."""
    status = changes.get("status")
    if status is not None:
        for field in RESCHEDULE_FIELDS:
            if field in changes:
                raise field_error(["body", field], "cannot be changed together with status")
    if status == "confirmed" and "meeting_link" not in changes:
        raise field_error(["body", "meeting_link"], "is required when confirming")
    if status != "confirmed" and "meeting_link" in changes:
        raise field_error(["body", "meeting_link"], "is set only when confirming")


async def list_meetings(call: Call[None, MeetingQuery]) -> Page[MeetingOut]:
    return await MEETINGS_PAGE.page(call)


async def create_meeting(call: Call[MeetingCreate, None]) -> MeetingOut:
    body = call.body
    if body.project_id is not None:
        # Checked here so a missing or foreign project is a 404, never a foreign-key error.
        await get_owned(call.db, Project, body.project_id, call.me, admin_sees_all=False)
    told = [notices.meeting_requested(call.me.full_name, body.scheduled_at, body.agenda)]
    values = {"user_id": call.me.id, **body.model_dump()}
    meeting = await insert_notifying(
        call.db, Meeting, values, told, actor_id=call.me.id, send_mail=call.send_after_commit
    )
    call.report(entity_id=meeting.id)
    return MeetingOut.model_validate(meeting)


async def get_meeting(call: Call[None, None]) -> MeetingOut:
    return await MEETING_BY_ID.read(call)


def _move_notices(meeting: Meeting, to: str, changes: dict[str, Any]) -> list[Notice]:
    if to == "confirmed":
        return [notices.meeting_confirmed(meeting.scheduled_at, changes["meeting_link"])]
    if to == "cancelled":
        return [notices.meeting_cancelled(meeting.scheduled_at)]  # not sent when the owner cancels
    return []


async def _move(call: Call[Any, Any], meeting: Meeting, changes: dict[str, Any]) -> Meeting:
    to = changes.pop("status")
    if MEETING.admin_only(to) and not call.me.is_admin:
        raise Conflict(f"Only an admin can mark a meeting {to}")
    # The conditional UPDATE decides: of two racing moves only one finds the status it expects.
    return await transition(
        call.db,
        Meeting,
        meeting.id,
        call.me,
        machine=MEETING,
        to=to,
        values=changes,
        notices=_move_notices(meeting, to, changes),
        send_mail=call.send_after_commit,
    )


async def _reschedule(call: Call[Any, Any], meeting: Meeting, changes: dict[str, Any]) -> Meeting:
    if meeting.user_id != call.me.id:
        raise Conflict("Only the meeting's owner can change its time or agenda")
    if meeting.status != "requested":
        raise Conflict(f"Meeting {meeting.id} can be changed only while requested (it is {meeting.status})")
    # Still conditional: a confirm landing after our read must win over this edit.
    return await transition(
        call.db, Meeting, meeting.id, call.me, allowed_from=("requested",), to="requested", values=changes
    )


async def update_meeting(call: Call[MeetingUpdate, None]) -> MeetingOut:
    changes = call.body.changes()
    _check_update_shape(changes)
    meeting = await get_owned(call.db, Meeting, call.params["id"], call.me)
    if not changes:
        return MeetingOut.model_validate(meeting)
    call.report(fields=sorted(changes))
    if "status" in changes:
        call.report(status=changes["status"])
        meeting = await _move(call, meeting, changes)
    else:
        meeting = await _reschedule(call, meeting, changes)
    return MeetingOut.model_validate(meeting)


ENDPOINTS = [
    get(
        "/api/meetings",
        list_meetings,
        reads=MEETINGS_PAGE,
        response=Page[MeetingOut],
        errors=(422,),
        summary="List meetings",
    ),
    post(
        "/api/meetings",
        create_meeting,
        transaction=False,
        response=MeetingOut,
        entity="meeting",
        errors=(404, 422),
        summary="Request a meeting",
    ),
    get(
        "/api/meetings/{id:int}",
        get_meeting,
        reads=MEETING_BY_ID,
        response=MeetingOut,
        entity="meeting",
        errors=(404,),
        summary="Get a meeting",
    ),
    patch(
        "/api/meetings/{id:int}",
        update_meeting,
        response=MeetingOut,
        entity="meeting",
        errors=(404, 409, 422),
        summary="Confirm, complete, cancel or reschedule a meeting",
    ),
]

app = create_app(ENDPOINTS)
__getattr__ = lambda_handler(app)  # `handler` for AWS Lambda, built on first use
