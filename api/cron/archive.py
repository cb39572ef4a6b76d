"""GET /api/cron/archive: Vercel cron archives old activity (and chatbot) rows, then rolls up the reports."""

import lib.startup  # noqa: F401  (first: no garbage collection while this function loads)

import time

from pydantic import BaseModel, ConfigDict, Field

from lib.core import ratelimit
from lib.core.archive import archive_older_than
from lib.core.config import get_settings
from lib.core.rollups import roll_up
from lib.models.activity_logs import ActivityLog, ActivityLogArchive
from lib.models.chatbot_history import ChatbotMessage, ChatbotMessageArchive
from lib.web.app import create_app, lambda_handler
from lib.web.endpoints import Call, get


class ArchiveQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    batch_size: int = Field(5000, ge=1, le=50_000, description="Rows per batch (one statement each)")
    max_seconds: float = Field(45, gt=0, le=55, description="Stop starting batches after this long")


class TableResult(BaseModel):
    moved: int
    remaining: int


class ArchiveOut(BaseModel):
    moved: int
    remaining: int
    seconds: float
    chatbot: TableResult | None
    rate_limit_hits_purged: int
    idempotency_keys_purged: int
    rolled_days: int
    pending_days: int


async def run_archive(call: Call[None, ArchiveQuery]) -> ArchiveOut:
    settings = get_settings()
    query = call.query
    started = time.monotonic()
    # Stops before the function's maxDuration (60 s in vercel.json); the next run resumes.
    deadline = started + query.max_seconds
    activity = await archive_older_than(
        ActivityLog,
        ActivityLogArchive,
        days=settings.activity_retention_days,
        batch_size=query.batch_size,
        deadline=deadline,
    )
    chatbot = None
    if settings.chatbot_retention_days:
        result = await archive_older_than(
            ChatbotMessage,
            ChatbotMessageArchive,
            days=settings.chatbot_retention_days,
            batch_size=query.batch_size,
            deadline=deadline,
        )
        chatbot = TableResult(moved=result.moved, remaining=result.remaining)
    purged = await ratelimit.purge_expired()
    # After archiving: the days it emptied are then unrolled already (its DELETE's trigger), and
    # every report reads the rollups of complete days (lib/core/rollups.py).
    rollups = await roll_up(deadline=deadline)
    # Late import: the key table's model only for this cron, never for a request's cold start.
    from lib.web import idempotency

    return ArchiveOut(
        rate_limit_hits_purged=purged,
        idempotency_keys_purged=await idempotency.purge_expired(),
        moved=activity.moved,
        remaining=activity.remaining,
        seconds=round(time.monotonic() - started, 3),
        chatbot=chatbot,
        rolled_days=rollups.rolled,
        pending_days=rollups.pending,
    )


ENDPOINTS = [
    get(
        "/api/cron/archive",
        run_archive,
        auth="cron",
        response=ArchiveOut,
        summary="Archive old activity logs (Vercel cron)",
    ),
]

app = create_app(ENDPOINTS)
__getattr__ = lambda_handler(app)  # `handler` for AWS Lambda, built on first use
