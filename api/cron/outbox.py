"""GET /api/cron/outbox: the retry path of the mail outbox; sends what requests could not send in time."""

import lib.startup  # noqa: F401  (first: no garbage collection while this function loads)

import time

from pydantic import BaseModel, ConfigDict, Field

from lib.mail.delivery import deliver_due
from lib.web.app import create_app, lambda_handler
from lib.web.endpoints import Call, get


class OutboxQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    limit: int = Field(200, ge=1, le=5000, description="Messages to try at most in this run")
    max_seconds: float = Field(45, gt=0, le=55, description="Start no send after this long")


class OutboxOut(BaseModel):
    sent: int
    retrying: int
    failed: int
    remaining: int
    seconds: float


async def send_outbox(call: Call[None, OutboxQuery]) -> OutboxOut:
    started = time.monotonic()
    # Stops well inside the function's time limit; what is left stays due for the next run.
    result = await deliver_due(limit=call.query.limit, deadline=started + call.query.max_seconds)
    return OutboxOut(
        sent=result.sent,
        retrying=result.retrying,
        failed=result.failed,
        remaining=result.remaining,
        seconds=round(time.monotonic() - started, 3),
    )


ENDPOINTS = [
    get(
        "/api/cron/outbox",
        send_outbox,
        auth="cron",
        response=OutboxOut,
        summary="Send due outbox mail: the retry path (Vercel cron)",
    ),
]

app = create_app(ENDPOINTS)
__getattr__ = lambda_handler(app)  # `handler` for AWS Lambda, built on first use
