"""Reads sent straight to asyncpg: the same rows as SQLAlchemy's path, its log, its errors, one connection."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import date

import pytest
from sqlalchemy import bindparam, exc, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from structlog.testing import capture_logs

from lib.core.config import get_settings
from lib.core.db import create_engine_for, is_database_unavailable, session
from lib.core.driver_reads import POOLED, READS_OUTSIDE_TRANSACTION, give_back
from lib.core.rows import core_rows, model_columns
from lib.models.projects import Project
from lib.models.users import User


async def _alice_and_projects() -> int:
    async with session() as db:
        user = User(email="reader@example.com", password_hash="x", full_name="Reader")
        db.add(user)
        await db.flush()
        for number in range(3):
            db.add(
                Project(
                    user_id=user.id,
                    title=f"Project {number}",
                    category="web",
                    tech_stack=["python", f"v{number}"],
                    deadline=date(2027, 1, number + 1),
                )
            )
        return user.id


def _projects_of() -> object:
    return (
        select(*model_columns(Project))
        .where(Project.user_id == bindparam("owner"), Project.deleted_at.is_(None))
        .order_by(Project.id)
    )


async def test_a_read_outside_a_transaction_goes_to_asyncpg_and_gives_the_same_rows(db_clean: None) -> None:
    owner = await _alice_and_projects()
    statement = _projects_of()
    async with session(autocommit=True) as db:
        rows = await core_rows(db, statement, {"owner": owner})  # type: ignore[arg-type]
        assert POOLED in db.info  # the driver's path, not the session's connection
        assert not db.in_transaction()
    async with session() as db:  # a transaction: SQLAlchemy's own execution
        expected = await core_rows(db, statement, {"owner": owner})  # type: ignore[arg-type]
        assert POOLED not in db.info
    assert len(rows) == 3
    assert rows == expected
    assert rows[0]["tech_stack"] == ["python", "v0"]  # jsonb decoded as on SQLAlchemy's path
    assert rows[2]["deadline"] == date(2027, 1, 3)
    # A statement built per request (its values inline) reads the same: its shape is compiled once.
    async with session(autocommit=True) as db:
        inline = await core_rows(db, select(*model_columns(Project)).where(Project.title == "Project 1"))
    assert [row["id"] for row in inline] == [rows[1]["id"]]


@pytest.fixture
async def small_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine of one pooled connection, a slow-query threshold of 0 ms, a 2 s pool timeout."""
    settings = dataclasses.replace(get_settings(), db_pool_size=1, slow_query_ms=0, db_connect_timeout=2)
    engine = create_engine_for(settings, database_url)
    yield engine
    await engine.dispose()


def _reads_session(engine: AsyncEngine) -> AsyncSession:
    view = engine.execution_options(isolation_level="AUTOCOMMIT")
    return AsyncSession(view, info={READS_OUTSIDE_TRANSACTION: True})


async def test_the_slow_query_log_sees_a_driver_read_without_its_values(
    small_engine: AsyncEngine, db_clean: None
) -> None:
    db = _reads_session(small_engine)
    with capture_logs() as logs:
        rows = await core_rows(
            db, text("SELECT length(:probe) AS n"), {"probe": "value-that-must-not-be-logged"}
        )
    await give_back(db)
    assert rows == [{"n": len("value-that-must-not-be-logged")}]
    slow = [entry for entry in logs if entry["event"] == "slow_query" and "length" in entry["statement"]]
    assert slow, logs
    assert "value-that-must-not-be-logged" not in json.dumps(logs, default=str)


async def test_the_session_takes_the_read_connection_back_instead_of_a_second_one(
    small_engine: AsyncEngine, db_clean: None
) -> None:
    """With one pooled connection, a second held at once would wait for the pool and time out."""
    owner = await _alice_and_projects()
    db = _reads_session(small_engine)
    first = await core_rows(db, _projects_of(), {"owner": owner})  # type: ignore[arg-type]
    assert POOLED in db.info
    # The ORM now needs the session's own connection: the read connection goes back first.
    count = await asyncio.wait_for(db.scalar(select(Project.id).where(Project.user_id == owner).limit(1)), 5)
    assert count is not None
    assert POOLED not in db.info
    again = await core_rows(db, _projects_of(), {"owner": owner})  # type: ignore[arg-type]
    assert again == first
    await db.close()
    assert small_engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_a_failing_driver_read_raises_sqlalchemys_error_and_keeps_the_connection(
    small_engine: AsyncEngine, db_clean: None
) -> None:
    db = _reads_session(small_engine)
    with pytest.raises(exc.DBAPIError) as raised:
        await core_rows(db, text("SELECT 1 / (:zero)::int AS n"), {"zero": 0})
    assert type(raised.value.orig.__cause__).__name__ == "DivisionByZeroError"  # type: ignore[union-attr]
    assert not is_database_unavailable(raised.value)  # a 500, not a 503
    assert await core_rows(db, text("SELECT 2 AS n")) == [{"n": 2}]  # same connection, still good
    await give_back(db)
    assert small_engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_a_dropped_connection_is_a_503_and_is_never_handed_out_again(
    small_engine: AsyncEngine, db_clean: None
) -> None:
    db = _reads_session(small_engine)
    assert await core_rows(db, text("SELECT 1 AS n")) == [{"n": 1}]
    db.info[POOLED].driver_connection.terminate()  # the socket is gone, as when Neon suspends
    with pytest.raises(exc.DBAPIError) as raised:
        await core_rows(db, text("SELECT 1 AS n"))
    assert raised.value.connection_invalidated
    assert is_database_unavailable(raised.value)
    assert POOLED not in db.info
    await give_back(db)
    fresh = _reads_session(small_engine)  # the pool opens a new connection
    assert await core_rows(fresh, text("SELECT 3 AS n")) == [{"n": 3}]
    await give_back(fresh)


async def test_a_read_cancelled_mid_statement_never_returns_its_connection_to_the_pool(
    small_engine: AsyncEngine, db_clean: None
) -> None:
    db = _reads_session(small_engine)
    task = asyncio.ensure_future(core_rows(db, text("SELECT pg_sleep(5) AS slept")))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert POOLED not in db.info
    await give_back(db)
    fresh = _reads_session(small_engine)
    # Within the pool timeout: the busy connection was discarded, not handed out again.
    assert await asyncio.wait_for(core_rows(fresh, text("SELECT 4 AS n")), 3) == [{"n": 4}]
    await give_back(fresh)
