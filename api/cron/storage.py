"""GET /api/cron/storage: the daily file sweep; abandoned uploads and deleted accounts' files go."""

import lib.startup  # noqa: F401  (first: no garbage collection while this function loads)

import time

from pydantic import BaseModel, ConfigDict, Field

from lib.rules.files import sweep
from lib.web.app import create_app, lambda_handler
from lib.web.endpoints import Call, get


class FilesSweepQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    limit: int = Field(500, ge=1, le=5000, description="Files to remove at most in this run")
    max_seconds: float = Field(45, gt=0, le=55, description="Start no removal after this long")


class FilesSweepOut(BaseModel):
    removed: int
    remaining: int
    storage_ok: bool
    seconds: float


async def sweep_files(call: Call[None, FilesSweepQuery]) -> FilesSweepOut:
    started = time.monotonic()
    # Stops well inside the function's time limit; what is left (or what storage refused) stays due.
    result = await sweep(limit=call.query.limit, deadline=started + call.query.max_seconds)
    return FilesSweepOut(
        removed=result.removed,
        remaining=result.remaining,
        storage_ok=result.storage_ok,
        seconds=round(time.monotonic() - started, 3),
    )


ENDPOINTS = [
    get(
        "/api/cron/storage",
        sweep_files,
        auth="cron",
        response=FilesSweepOut,
        summary="Remove stale pending uploads and deleted accounts' files, objects first (Vercel cron)",
    ),
]

app = create_app(ENDPOINTS)
__getattr__ = lambda_handler(app)  # `handler` for AWS Lambda, built on first use
