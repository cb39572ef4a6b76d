"""The floor: the fixed stack doing the least possible work (cold: one query; warm: raw asyncpg pool)."""

from __future__ import annotations

from typing import Any

# The fixed stack every function imports: what the floor's cold start pays for (and nothing more).
import asyncpg
import structlog
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

# The statements the API sends for GET /api/projects/{id} and GET /api/projects?status=... (the
# API's SQLAlchemy compilation, its user columns cut to what the floor checks; bench/roundtrips.py
# lists them per request). USER_SQL, PROJECT_SQL and LIST_SQL are the statements each part alone
# (the cold start's one query, bench/hotspots.py's pieces).
USER_SQL = (
    "SELECT users.id AS users_id, users.email AS users_email, users.password_hash AS users_password_hash, "
    "users.full_name AS users_full_name, users.is_admin AS users_is_admin, "
    "users.is_active AS users_is_active, "
    "users.created_at AS users_created_at, users.updated_at AS users_updated_at \nFROM users \n"
    "WHERE users.id = $1::BIGINT"
)
PROJECT_COLUMNS = (
    "projects.id, projects.user_id, projects.title, projects.description, projects.category, "
    "projects.tech_stack, projects.deadline, projects.status, projects.search, projects.deleted_at, "
    "projects.created_at, projects.updated_at"
)
PROJECT_SQL = (
    f"SELECT {PROJECT_COLUMNS} \nFROM projects \n"
    "WHERE projects.id = $1::BIGINT AND projects.user_id = $2::BIGINT AND projects.deleted_at IS NULL"
)
LIST_SQL = (
    f"SELECT {PROJECT_COLUMNS} \nFROM projects \n"
    "WHERE projects.user_id = $1::BIGINT AND projects.deleted_at IS NULL AND projects.status = $2::VARCHAR "
    "ORDER BY projects.created_at DESC, projects.id DESC \n LIMIT $3::INTEGER"
)
# What a response shows of a project (the API's ProjectOut fields).
OUT_FIELDS = (
    "created_at",
    "updated_at",
    "id",
    "user_id",
    "title",
    "description",
    "category",
    "tech_stack",
    "deadline",
    "status",
)
# A GET of one row reads it with the caller (lib/rules/ownership.OwnedRead), as the API does.
GET_SQL = (
    "SELECT users.id, users.email, users.password_hash, users.full_name, users.is_admin, users.is_active, "
    "users.created_at, users.updated_at, "
    + ", ".join(f"projects.{name} AS row_{name}" for name in OUT_FIELDS)
    + ", projects.id AS row__found \nFROM users LEFT OUTER JOIN projects ON projects.id = $2::BIGINT "
    "AND (projects.user_id = users.id OR users.is_admin) AND projects.deleted_at IS NULL \n"
    "WHERE users.id = $1::BIGINT"
)
# A list reads its page with the caller too (lib/rules/ownership.VisibleList): the user's branch
# and the admin's, each behind a one-time filter on users.is_admin.
_PAGE_BRANCH = (
    f"(SELECT {', '.join(f'projects.{name}' for name in OUT_FIELDS)} \nFROM projects \n"
    "WHERE {owner}projects.deleted_at IS NULL AND projects.status = $2::VARCHAR AND {gate} "
    "ORDER BY projects.created_at DESC, projects.id DESC \n LIMIT $3::INTEGER)"
)
LIST_WITH_CALLER_SQL = (
    "SELECT users.id, users.email, users.password_hash, users.full_name, users.is_admin, users.is_active, "
    "users.created_at, users.updated_at, "
    + ", ".join(f"page.{name} AS row_{name}" for name in OUT_FIELDS)
    + ", page.id AS row__found \nFROM users LEFT OUTER JOIN LATERAL ("
    + _PAGE_BRANCH.format(owner="projects.user_id = users.id AND ", gate="NOT users.is_admin")
    + " UNION ALL "
    + _PAGE_BRANCH.format(owner="", gate="users.is_admin")
    + ") AS page ON true \nWHERE users.id = $1::BIGINT ORDER BY page.created_at DESC, page.id DESC"
)
STACK = (asyncpg, structlog, BaseModel)


async def cold_request(database_url: str, project_id: int, user_id: int) -> int:
    """Cold-start floor: an engine, one connection, the project query; returns the rows found."""
    engine = create_async_engine(database_url.replace("postgresql://", "postgresql+asyncpg://", 1))
    try:
        async with engine.connect() as conn:
            statement = text(PROJECT_SQL.replace("$1::BIGINT", ":id").replace("$2::BIGINT", ":user_id"))
            rows = (await conn.execute(statement, {"id": project_id, "user_id": user_id})).all()
            return len(rows)
    finally:
        await engine.dispose()


def create_app() -> Any:
    """Warm floor: a bare Starlette app, a raw asyncpg pool, the same SQL and the same JWT check."""
    import json
    import os
    import urllib.parse

    import jwt

    secret = os.environ["SECRET_KEY"]
    url = os.environ["DATABASE_URL"]
    pool_size = int(os.environ.get("DB_POOL_SIZE", "5"))
    behind_pooler = os.environ.get("DB_POOLER") in ("on", "legacy")  # a pooler without prepared statements
    parsed = urllib.parse.urlsplit(url)
    host = urllib.parse.parse_qs(parsed.query).get("host", [parsed.hostname])[0]
    pool: asyncpg.Pool | None = None

    async def get_pool() -> asyncpg.Pool:
        nonlocal pool
        if pool is None:
            pool = await asyncpg.create_pool(
                host=host,
                port=parsed.port or 5432,
                user=parsed.username or "postgres",
                database=parsed.path.lstrip("/"),
                min_size=1,
                max_size=pool_size,
                statement_cache_size=0 if behind_pooler else 100,
            )
        return pool

    def user_id_of(request: Request) -> int | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        try:
            claims = jwt.decode(
                token,
                secret,
                algorithms=["HS256"],
                issuer="launchpad-api",
                options={"require": ["sub", "exp"]},
            )
            return int(claims["sub"])
        except (jwt.InvalidTokenError, ValueError):
            return None

    def project_json(row: asyncpg.Record, prefix: str = "") -> dict[str, object]:
        item = {name: row[prefix + name] for name in OUT_FIELDS}
        item["tech_stack"] = json.loads(row[prefix + "tech_stack"])
        return item

    def respond(payload: object, status: int = 200) -> Response:
        return Response(json.dumps(payload, default=str), status, media_type="application/json")

    async def get_project(request: Request) -> Response:
        user_id = user_id_of(request)
        if user_id is None:
            return respond({"error": "unauthorized"}, 401)
        async with (await get_pool()).acquire() as conn:
            row = await conn.fetchrow(GET_SQL, user_id, request.path_params["id"])
        if row is None or not row["is_active"]:
            return respond({"error": "unauthorized"}, 401)
        if row["row__found"] is None:
            return respond({"error": "not_found"}, 404)
        return respond(project_json(row, "row_"))

    async def list_projects(request: Request) -> Response:
        user_id = user_id_of(request)
        if user_id is None:
            return respond({"error": "unauthorized"}, 401)
        status = request.query_params.get("status", "draft")
        limit = int(request.query_params.get("limit", "20"))
        async with (await get_pool()).acquire() as conn:
            rows = await conn.fetch(LIST_WITH_CALLER_SQL, user_id, status, limit + 1)
        if not rows or not rows[0]["is_active"]:
            return respond({"error": "unauthorized"}, 401)
        rows = [row for row in rows if row["row__found"] is not None]
        items = [project_json(row, "row_") for row in rows[:limit]]
        return respond({"items": items, "next_cursor": "more" if len(rows) > limit else None})

    return Starlette(
        routes=[
            Route("/api/projects/{id:int}", get_project, methods=["GET"]),
            Route("/api/projects", list_projects, methods=["GET"]),
        ]
    )
