"""Database access: one lazy engine per event loop, units of work, and what a database error means."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import exc
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from lib.core.config import Settings, get_settings
from lib.core.db_events import (
    SINGLE_WRITE,
    install_fresh_plans_after_schema_change,
    install_idle_ping,
    install_single_write_guard,
    install_slow_query_log,
    is_stale_statement,
)
from lib.core.db_url import database_target
from lib.core.driver_reads import READS_OUTSIDE_TRANSACTION, give_back
from lib.core.errors import ServiceUnavailable


def create_engine_for(settings: Settings, url: str | None = None) -> AsyncEngine:
    """A pooled async engine for `url` (default: DATABASE_URL) with this project's settings."""
    raw = url or settings.database_url
    if not raw:
        raise ServiceUnavailable("The database is not configured (DATABASE_URL is not set)")
    target = database_target(raw, settings.db_pooler, settings.db_connect_timeout)
    engine = create_async_engine(
        target.url,
        connect_args=target.connect_args,
        pool_size=settings.db_pool_size,
        max_overflow=0,  # never more server connections than the pool size
        pool_recycle=settings.db_pool_recycle,
        pool_timeout=settings.db_connect_timeout,
        pool_pre_ping=False,  # replaced by the idle-aware ping below
        # The most recently used connection first: its statement cache is warm and it needs no
        # ping; the rest idle out instead of each being kept barely alive.
        pool_use_lifo=True,
        # A failed statement's error (and so its traceback in `unhandled_error`) would otherwise
        # carry every bound value: a new user's password hash, emails, mail bodies.
        hide_parameters=True,
    )
    install_idle_ping(engine, settings.db_idle_ping_seconds)
    install_slow_query_log(engine, settings.slow_query_ms)
    install_single_write_guard(engine)
    if target.pooler == "prepared":
        install_fresh_plans_after_schema_change(engine)
    _forces_transactions[engine] = target.forces_transactions
    return engine


# Set on a session once `release()` committed part of its work.
RELEASED = "released"
# Engines behind a legacy transaction-mode pooler: every unit of work there is a transaction.
_forces_transactions: weakref.WeakKeyDictionary[AsyncEngine, bool] = weakref.WeakKeyDictionary()
# Per engine, its AUTOCOMMIT view (same pool), made once rather than per request.
_autocommit_views: weakref.WeakKeyDictionary[AsyncEngine, AsyncEngine] = weakref.WeakKeyDictionary()


def _autocommit_view(engine: AsyncEngine) -> AsyncEngine:
    view = _autocommit_views.get(engine)
    if view is None:
        view = _autocommit_views[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return view


# One engine per running event loop: a pooled connection belongs to the loop that opened it.
_engines: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncEngine] = weakref.WeakKeyDictionary()


def get_engine() -> AsyncEngine:
    """The engine of the running event loop, created on first use (never at import)."""
    loop = asyncio.get_running_loop()
    engine = _engines.get(loop)
    if engine is None:
        engine = _engines[loop] = create_engine_for(get_settings())
    return engine


async def dispose_engine() -> None:
    """Close the running loop's engine and its connections (tests, shutdown)."""
    engine = _engines.pop(asyncio.get_running_loop(), None)
    if engine is not None:
        await engine.dispose()


@asynccontextmanager
async def session(*, autocommit: bool = False, single_write: bool = False) -> AsyncIterator[AsyncSession]:
    """A unit of work: committed when the block succeeds, rolled back when it raises.

    The connection is taken on the first statement and returned at the end (or at `release`).
    `autocommit=True` sends no BEGIN/COMMIT: for reads and single-statement writes, which
    PostgreSQL makes atomic on their own, it saves two round trips (direct connections only).
    `single_write=True` makes a second writing statement fail: without a transaction, a second
    write would not be atomic with the first.
    """
    engine = get_engine()
    # Not behind a legacy pooler: there a statement's prepare and execute must share a transaction,
    # or the pooler may hand them different server connections.
    autocommit = autocommit and not _forces_transactions.get(engine, False)
    bind = _autocommit_view(engine) if autocommit else engine
    info = {SINGLE_WRITE: single_write, READS_OUTSIDE_TRANSACTION: autocommit}
    db = AsyncSession(bind, expire_on_commit=False, info=info)
    try:
        try:
            yield db
        except BaseException:
            await db.rollback()
            raise
        if not autocommit or db.new or db.dirty or db.deleted:
            # (With autocommit and nothing waiting to be flushed, PostgreSQL committed each statement
            # as it ran: the commit would only walk the session's bookkeeping, a read's whole end.)
            await db.commit()
    finally:
        await give_back(db)
        if db.in_transaction():
            # What `async with AsyncSession` does: the connection goes back even if this task is
            # cancelled meanwhile. A session that never took one (reads sent straight to asyncpg,
            # or work already committed) has nothing to give back, and skips the task it costs.
            await asyncio.shield(asyncio.create_task(db.close()))


async def release(db: AsyncSession) -> None:
    """Commit what the session did so far and hand its connection back to the pool.

    For a request about to wait on the network (the AI provider): a pool of five must not
    sit idle behind a slow outside call. The session's next statement starts a new transaction.
    """
    if db.in_transaction():
        await db.commit()
    await give_back(db)  # the connection its reads went to asyncpg on, too
    db.info[RELEASED] = True  # something is committed: the unit of work can no longer be replayed


def replayable_after(error: BaseException, db: AsyncSession) -> bool:
    """Whether a failed unit of work may run once more: a statement went stale, nothing was committed.

    A schema change (a migration while functions are warm) invalidates the plans asyncpg keeps for
    its cached statements. Outside a transaction asyncpg re-prepares by itself; inside one the
    statement fails ("cached statement plan is invalid") and the transaction is lost, though the
    cache is then cleared (behind PgBouncer the statements also get new texts: db_events). Rolled
    back and never released, the work can simply run again.
    """
    return not db.info.get(RELEASED) and is_stale_statement(error)


def violated_constraint(error: exc.IntegrityError) -> str | None:
    """The name of the constraint an IntegrityError broke (asyncpg's error, the DBAPI error's cause)."""
    return getattr(getattr(error.orig, "__cause__", None), "constraint_name", None)


def is_database_unavailable(error: BaseException) -> bool:
    """True when `error` means the database cannot be reached (answer 503, not 500)."""
    if isinstance(error, ServiceUnavailable):
        return True
    if isinstance(error, (OSError, TimeoutError, exc.TimeoutError, exc.DisconnectionError)):
        return True
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated or isinstance(error, exc.InterfaceError):
            return True
        original = getattr(error, "orig", None)
        name = type(getattr(original, "__cause__", None) or original).__name__
        return name in {
            "CannotConnectNowError",
            "ConnectionDoesNotExistError",
            "ConnectionFailureError",
            "AdminShutdownError",
            "TooManyConnectionsError",
            "InterfaceError",
        }
    name = type(error).__name__
    return name in {"CannotConnectNowError", "ConnectionDoesNotExistError", "AdminShutdownError"}
