"""Notifications: GET /api/notifications, GET /api/notifications/unread-count, POST /api/notifications/read"""

import lib.startup  # noqa: F401  (first: no garbage collection while this function loads)

from sqlalchemy import func, select, update
from starlette.responses import Response

from lib.models.notifications import Notification
from lib.rules.ownership import VisibleList
from lib.schemas.common import Page
from lib.schemas.notifications import (
    MarkedReadOut,
    MarkReadIn,
    NotificationOut,
    NotificationQuery,
    UnreadCountOut,
)
from lib.web.app import create_app, lambda_handler
from lib.web.endpoints import Call, get, post
from lib.web.responses import json_response

# Own rows only, admins included: a notification is addressed to one person.
NOTIFICATIONS_PAGE = VisibleList(
    Notification,
    NotificationOut,
    admin_sees_all=False,
    filters={"unread": lambda unread: Notification.read_at.is_(None) == unread},
)


async def list_notifications(call: Call[None, NotificationQuery]) -> Page[NotificationOut]:
    return await NOTIFICATIONS_PAGE.page(call)


def _etag(count: int) -> str:
    return f'"unread-{count}"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110's weak comparison over a list of tags, `*` included."""
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


async def unread_count(call: Call[None, None]) -> Response:
    """Polled: one index-only count, and a 304 without a body while it has not changed."""
    statement = select(func.count()).where(Notification.user_id == call.me.id, Notification.read_at.is_(None))
    count = (await call.db.execute(statement)).scalar_one()
    etag = _etag(count)
    headers = {"ETag": etag, "Cache-Control": "private, no-store"}
    if _matches(call.request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return json_response(UnreadCountOut(count=count), headers=headers)


async def mark_read(call: Call[MarkReadIn, None]) -> MarkedReadOut:
    body = call.body
    statement = update(Notification).where(Notification.user_id == call.me.id, Notification.read_at.is_(None))
    if body.ids is not None:
        statement = statement.where(Notification.id.in_(body.ids))
    result = await call.db.execute(
        statement.values(read_at=func.now()).execution_options(synchronize_session=False)
    )
    updated: int = result.rowcount  # type: ignore[attr-defined]  # an UPDATE's CursorResult
    call.report(entity_id=call.me.id, updated=updated, all=body.all is True)
    return MarkedReadOut(updated=updated)


ENDPOINTS = [
    get(
        "/api/notifications",
        list_notifications,
        reads=NOTIFICATIONS_PAGE,
        response=Page[NotificationOut],
        summary="List my notifications",
    ),
    get(
        "/api/notifications/unread-count",
        unread_count,
        response=UnreadCountOut,
        summary="How many of my notifications are unread (304 while unchanged)",
    ),
    post(
        "/api/notifications/read",
        mark_read,
        transaction=False,
        response=MarkedReadOut,
        status=200,
        entity="user",
        errors=(422,),
        summary="Mark notifications as read",
    ),
]

app = create_app(ENDPOINTS)
__getattr__ = lambda_handler(app)  # `handler` for AWS Lambda, built on first use
