"""GET /api/activity: a user's own activity; admins see everyone's, with filters."""

from sqlalchemy import select

from lib.core.errors import Forbidden
from lib.core.pagination import matching, page_of
from lib.models.activity_logs import ActivityLog, ActivityLogArchive
from lib.rules.ownership import visible
from lib.schemas.activity import ActivityOut, ActivityQuery
from lib.schemas.common import Page
from lib.web.app import create_app, lambda_handler
from lib.web.endpoints import Call, get


async def list_activity(call: Call[None, ActivityQuery]) -> Page[ActivityOut]:
    query = call.query
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
        response=Page[ActivityOut],
        errors=(403,),  # `archived=true` is for admins only
        summary="Activity log (own; admins all)",
    ),
]

app = create_app(ENDPOINTS)
__getattr__ = lambda_handler(app)  # `handler` for AWS Lambda, built on first use
