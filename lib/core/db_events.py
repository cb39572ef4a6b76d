"""Engine events: the idle-aware liveness ping, the slow-query log, the single-write guard, fresh plans."""

from __future__ import annotations

import re
import time
import weakref
from typing import Any

from sqlalchemy import Engine, Pool, event, exc
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session
from sqlalchemy.util import await_only

from lib.core.log import get_logger

log = get_logger("db")


# Per engine, kept by its pool (which the engine's option views, the autocommit one, share): the
# slow-query threshold (ms), and the fresh-plans generation behind PgBouncer.
_slow_thresholds: weakref.WeakKeyDictionary[Pool, int] = weakref.WeakKeyDictionary()
_plan_generations: weakref.WeakKeyDictionary[Pool, int] = weakref.WeakKeyDictionary()


def log_if_slow(engine: Engine, statement: str, elapsed_ms: float) -> None:
    """Log `statement` if it took the engine's slow-query threshold or longer: text and time, no values."""
    threshold_ms = _slow_thresholds.get(engine.pool)
    if threshold_ms is not None and elapsed_ms >= threshold_ms:
        log.warning(
            "slow_query",
            duration_ms=round(elapsed_ms, 2),
            statement=" ".join(statement.split())[:2000],
            threshold_ms=threshold_ms,
        )


def install_slow_query_log(engine: AsyncEngine, threshold_ms: int) -> None:
    """Log statements slower than the threshold: text and duration, never parameter values."""
    sync_engine = engine.sync_engine
    _slow_thresholds[sync_engine.pool] = threshold_ms

    @event.listens_for(sync_engine, "before_cursor_execute")
    def _start(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        conn.info.setdefault("query_started", []).append(time.perf_counter())

    @event.listens_for(sync_engine, "after_cursor_execute")
    def _finish(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        started = conn.info.get("query_started")
        if started:
            log_if_slow(sync_engine, statement, (time.perf_counter() - started.pop()) * 1000)


def install_idle_ping(engine: AsyncEngine, idle_seconds: float) -> None:
    """Ping a pooled connection only when it sat idle: a connection used a moment ago is alive,
    and one idle longer may have been closed by a suspended Neon compute."""
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        record.info["last_used"] = time.monotonic()
        record.info.pop(WRITES_LEFT, None)

    @event.listens_for(sync_engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        # A connection the server already closed (terminated backend) is known without a ping.
        if dbapi_connection.driver_connection.is_closed():
            raise exc.DisconnectionError("pooled connection was closed by the server")
        last_used = record.info.get("last_used")
        if last_used is None or time.monotonic() - last_used < idle_seconds:
            return
        try:
            # One simple-protocol round trip (SQLAlchemy's own ping wraps it in BEGIN/ROLLBACK: three),
            # and safe behind a transaction-mode pooler: it is a single message.
            await_only(dbapi_connection.driver_connection.execute("SELECT 1"))
        except Exception as error:
            # The pool discards this connection and checks out (or opens) another.
            log.info("stale_pooled_connection", error=type(error).__name__)
            raise exc.DisconnectionError("stale pooled connection") from error


# A session marked SINGLE_WRITE (`session(single_write=True)`: a unit of work without a
# transaction) lets its connection send one writing statement; WRITES_LEFT counts down on the
# connection, and the pool's checkin forgets it.
SINGLE_WRITE = "single_write"
WRITES_LEFT = "launchpad_writes_left"
_WRITE = re.compile(
    r"^\s*(?:INSERT|UPDATE|DELETE|MERGE)\b|^\s*WITH\b[\s\S]*\b(?:INSERT\s+INTO|UPDATE\s+\w|DELETE\s+FROM)\b",
    re.IGNORECASE,
)


class SecondWriteError(RuntimeError):
    """A route marked `transaction=False` sent a second write, which would not be atomic with the first."""


def _is_write(context: Any, statement: str) -> bool:
    if context is not None and (context.isinsert or context.isupdate or context.isdelete):
        return True
    return _WRITE.match(statement) is not None  # text() statements and CTEs


def install_single_write_guard(engine: AsyncEngine) -> None:
    """Fail the statement that would be a second write on a connection allowed only one."""

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _count_write(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        left = conn.info.get(WRITES_LEFT)
        if left is None or not _is_write(context, statement):
            return
        if left <= 0:
            raise SecondWriteError(
                "a second write on a route marked transaction=False: drop the flag, or make it one statement"
            )
        conn.info[WRITES_LEFT] = left - 1


@event.listens_for(Session, "after_begin")
def _allow_one_write(session: Session, transaction: Any, connection: Any) -> None:
    # When the unit of work takes its connection (its first statement, not before: a request may
    # hash a password first, and must not hold a pooled connection meanwhile).
    if session.info.get(SINGLE_WRITE):
        connection.info[WRITES_LEFT] = 1


def is_stale_statement(error: BaseException | None) -> bool:
    """Whether `error` (or what caused it) is asyncpg's stale cached plan after a schema change."""
    while error is not None:
        if type(error).__name__ == "InvalidCachedStatementError":
            return True
        error = error.__cause__ or getattr(error, "orig", None)
    return False


def install_fresh_plans_after_schema_change(engine: AsyncEngine) -> None:
    """Behind PgBouncer with prepared statements, give every statement a new text after a stale plan.

    PgBouncer prepares each distinct statement text once per server connection, under its own name,
    and hands that server statement to every client that prepares the same text. After a migration
    changes a result type, PostgreSQL refuses that statement for good ("cached plan must not change
    result type"), so a client that re-prepares the same text gets the same stale statement until
    PgBouncer replaces the server connection. A comment carrying a generation number makes the text
    new: the first stale statement moves this process to the next generation, and the unit of work
    that failed on it (replayed once by the runner) prepares fresh statements on every server.
    """
    sync_engine = engine.sync_engine
    _plan_generations[sync_engine.pool] = 0

    @event.listens_for(sync_engine, "handle_error")
    def _next_generation(context: Any) -> None:
        if is_stale_statement(context.original_exception):
            next_plans_generation(sync_engine)

    @event.listens_for(sync_engine, "before_cursor_execute", retval=True)
    def _mark(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> tuple[str, Any]:
        # Installed last, so the other listeners (the single-write guard) see the plain text.
        return plans_marker(sync_engine) + statement, params


def next_plans_generation(engine: Engine) -> None:
    """After a stale plan: every statement of `engine` gets a new text (engines with fresh plans only)."""
    if engine.pool in _plan_generations:
        _plan_generations[engine.pool] += 1


def plans_marker(engine: Engine) -> str:
    """The comment that starts each statement of `engine`'s current plan generation ("" before any)."""
    generation = _plan_generations.get(engine.pool, 0)
    return f"/* plans {generation} */ " if generation else ""
