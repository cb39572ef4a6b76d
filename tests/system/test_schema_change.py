"""A schema change while functions are warm: cached statements go stale, no request fails for it.

A migration that changes a column's type invalidates the plans asyncpg caches for its prepared
statements ("cached plan must not change result type"). asyncpg re-prepares by itself outside a
transaction; inside one the statement fails and the transaction is lost, and the runner then runs
the unit of work once more (nothing of it was committed). Behind a legacy pooler nothing is cached.
Behind PgBouncer with prepared statements (Neon's pooler) the stale plan is PgBouncer's own server
statement, shared by every client that prepares the same text: there the first stale statement
gives every statement of the process a new text, so the replay prepares fresh ones.
"""

from __future__ import annotations

import os

import asyncpg
import httpx
from sqlalchemy import func, select

from lib.core.db import session
from lib.models.activity_logs import ActivityLog
from tests.support import Account, make_project


async def _alter_status(direct_url: str, column_type: str) -> None:
    connection = await asyncpg.connect(direct_url)
    try:
        await connection.execute(f"ALTER TABLE projects ALTER COLUMN status TYPE {column_type}")
    finally:
        await connection.close()


async def test_requests_after_a_column_type_change_all_succeed(
    client: httpx.AsyncClient, alice: Account, database_url: str
) -> None:
    direct = os.environ.get("DATABASE_URL_UNPOOLED") or database_url
    project_id = await make_project(client, alice)
    for title in ("warm one", "warm two"):  # the same statements, prepared and cached
        assert (
            await client.patch(f"/api/projects/{project_id}", json={"title": title}, headers=alice.headers)
        ).status_code == 200
        assert (await client.get(f"/api/projects/{project_id}", headers=alice.headers)).status_code == 200
    try:
        await _alter_status(direct, "text")
        patched = await client.patch(
            f"/api/projects/{project_id}", json={"title": "after"}, headers=alice.headers
        )
        assert patched.status_code == 200, patched.text
        read = await client.get(f"/api/projects/{project_id}", headers=alice.headers)
        assert read.status_code == 200 and read.json()["title"] == "after"
        listed = await client.get("/api/projects", headers=alice.headers)
        assert listed.status_code == 200 and [p["title"] for p in listed.json()["items"]] == ["after"]
    finally:
        await _alter_status(direct, "varchar(20)")
    patched = await client.patch(
        f"/api/projects/{project_id}", json={"title": "restored"}, headers=alice.headers
    )
    assert patched.status_code == 200, patched.text
    async with session() as db:
        # Exactly one activity row per PATCH: the replayed attempt left nothing behind.
        count = await db.scalar(
            select(func.count()).select_from(ActivityLog).where(ActivityLog.action == "update_project")
        )
        failed = await db.scalar(
            select(func.count()).select_from(ActivityLog).where(ActivityLog.status != "success")
        )
    assert (count, failed) == (4, 0)


async def test_a_read_first_after_a_column_type_change_succeeds(
    client: httpx.AsyncClient, alice: Account, database_url: str
) -> None:
    """Reads outside a transaction go to asyncpg itself (lib/core/driver_reads.py): a stale plan there
    moves the process to fresh statement texts too, and the read runs once more."""
    direct = os.environ.get("DATABASE_URL_UNPOOLED") or database_url
    project_id = await make_project(client, alice)
    for _ in range(2):  # the read's statements, prepared and cached
        assert (await client.get(f"/api/projects/{project_id}", headers=alice.headers)).status_code == 200
        assert (await client.get("/api/projects", headers=alice.headers)).status_code == 200
    try:
        await _alter_status(direct, "text")
        read = await client.get(f"/api/projects/{project_id}", headers=alice.headers)
        assert read.status_code == 200, read.text
        listed = await client.get("/api/projects", headers=alice.headers)
        assert listed.status_code == 200 and [p["id"] for p in listed.json()["items"]] == [project_id]
    finally:
        await _alter_status(direct, "varchar(20)")
    assert (await client.get(f"/api/projects/{project_id}", headers=alice.headers)).status_code == 200
