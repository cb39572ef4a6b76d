"""GET /api/activity: a user's own activity; admins see everyone's, with filters."""

from sqlalchemy import select

from lib.errors import Forbidden
from lib.models.activity_logs import ActivityLog, ActivityLogArchive
from lib.ownership import visible
from lib.pagination import matching, page_of
from lib.schemas.activity import ActivityOut, ActivityQuery
from lib.schemas.common import Page
from lib.web import Call, create_app, get, lambda_handler


async def list_activity(call: Call) -> Page[ActivityOut]:
    query: ActivityQuery = call.query
    if query.archived and not call.me.is_admin:
        raise Forbidden("Only admins can read archived activity")
    model = ActivityLogArchive if query.archived else ActivityLog
    statement = select(model).where(*visible(model, call.me))
    statement = matching(statement, model, query, "user_id", "action", "status", "entity_type", "entity_id")
    if query.since:
        statement = statement.where(model.created_at >= query.since)
    if query.until:
        statement = statement.where(model.created_at < query.until)
    return await page_of(call.db, statement, model, ActivityOut, query)


ENDPOINTS = [
    get(
        "/api/activity",
        list_activity,
        query=ActivityQuery,
        response=Page[ActivityOut],
        errors=(403,),  # `archived=true` is for admins only
        summary="Activity log (own; admins all)",
    ),
]

app = create_app(ENDPOINTS)
__getattr__ = lambda_handler(app)  # `handler` for AWS Lambda, built on first use
