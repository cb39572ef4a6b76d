"""GET /api/activity: a user's own activity; admins see everyone's, with filters."""

from sqlalchemy import select

from lib.models.activity_logs import ActivityLog
from lib.ownership import visible
from lib.pagination import paginate
from lib.schemas.activity import ActivityOut, ActivityQuery
from lib.schemas.common import Page
from lib.web import Call, create_app, get, lambda_handler


async def list_activity(call: Call) -> Page[ActivityOut]:
    query: ActivityQuery = call.query
    statement = select(ActivityLog).where(*visible(ActivityLog, call.me))
    for column, value in (
        (ActivityLog.user_id, query.user_id),
        (ActivityLog.action, query.action),
        (ActivityLog.status, query.status),
        (ActivityLog.entity_type, query.entity_type),
        (ActivityLog.entity_id, query.entity_id),
    ):
        if value is not None:
            statement = statement.where(column == value)
    if query.since:
        statement = statement.where(ActivityLog.created_at >= query.since)
    if query.until:
        statement = statement.where(ActivityLog.created_at < query.until)
    rows, next_cursor = await paginate(
        call.db, statement, ActivityLog, limit=query.limit, cursor=query.cursor
    )
    return Page[ActivityOut](items=[ActivityOut.model_validate(row) for row in rows], next_cursor=next_cursor)


ENDPOINTS = [
    get(
        "/api/activity",
        list_activity,
        query=ActivityQuery,
        response=Page[ActivityOut],
        summary="Activity log (own; admins all)",
    ),
]

app = create_app(ENDPOINTS)
__getattr__ = lambda_handler(app)  # `handler` for AWS Lambda, built on first use
