"""GET /api/health: is the function up, can it reach the database, which migration is live."""

import lib.startup  # noqa: F401  (first: no garbage collection while this function loads)

from sqlalchemy import text

from lib.web.app import create_app, lambda_handler
from lib.web.endpoints import Call, get


async def health(call: Call[None, None]) -> dict[str, str | None]:
    migrated = await call.db.scalar(text("SELECT to_regclass('alembic_version') IS NOT NULL"))
    revision = await call.db.scalar(text("SELECT version_num FROM alembic_version")) if migrated else None
    return {"status": "ok", "database": "ok", "migration": revision}


ENDPOINTS = [get("/api/health", health, auth="public", errors=(503,), summary="Liveness and database check")]

app = create_app(ENDPOINTS)
__getattr__ = lambda_handler(app)  # `handler` for AWS Lambda, built on first use
