"""Database access: Neon URL handling, one lazy engine per event loop, sessions, slow-query log."""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.util import await_only

from lib.config import Settings, get_settings
from lib.errors import ServiceUnavailable
from lib.log import get_logger

log = get_logger("db")

SSL_MODES = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}
# URL query parameters that libpq understands but asyncpg (through SQLAlchemy) rejects.
_DROPPED_PARAMS = {"channel_binding", "sslrootcert", "sslcert", "sslkey", "sslcrl", "gssencmode"}


@dataclass(frozen=True)
class DatabaseTarget:
    """A URL that SQLAlchemy's asyncpg dialect accepts, plus the asyncpg connect arguments."""

    url: str
    connect_args: dict[str, Any] = field(default_factory=dict)
    behind_pooler: bool = False
    dropped: tuple[str, ...] = ()


def _parse_options(options: str) -> tuple[dict[str, str], list[str]]:
    """Split libpq `options` (`-c name=value ...`, Neon's `endpoint=...`) into server settings."""
    settings: dict[str, str] = {}
    dropped: list[str] = []
    tokens = options.replace("-c ", "-c").split()
    for token in tokens:
        body = token[2:] if token.startswith("-c") else token
        name, _, value = body.partition("=")
        if name == "endpoint" or not value:
            # asyncpg sends SNI, so Neon finds the endpoint without this option.
            dropped.append(f"options:{name}")
        else:
            settings[name] = value
    return settings, dropped


def database_target(raw_url: str, pooler: str = "auto", connect_timeout: float = 5.0) -> DatabaseTarget:
    """Turn any URL Neon or the Vercel-Neon integration hands out into an asyncpg target."""
    url = make_url(raw_url.strip())
    if not url.drivername.startswith(("postgres", "postgresql")):
        raise ValueError(f"not a PostgreSQL URL (scheme {url.drivername!r})")
    query = dict(url.query)
    connect_args: dict[str, Any] = {"timeout": connect_timeout}
    server_settings: dict[str, str] = {}
    dropped: list[str] = []

    for name in ("sslmode", "ssl"):
        mode = query.pop(name, None)
        if isinstance(mode, str):
            mode = mode.lower()
            mode = {"true": "require", "1": "require", "false": "disable", "0": "disable"}.get(mode, mode)
            if mode not in SSL_MODES:
                raise ValueError(f"unknown sslmode {mode!r}")
            connect_args["ssl"] = mode
    if isinstance(timeout := query.pop("connect_timeout", None), str):
        connect_args["timeout"] = float(timeout)
    if isinstance(options := query.pop("options", None), str):
        parsed, dropped_options = _parse_options(options)
        server_settings.update(parsed)
        dropped.extend(dropped_options)
    if isinstance(app_name := query.pop("application_name", None), str):
        server_settings["application_name"] = app_name
    for name in list(query):
        if name in _DROPPED_PARAMS or name not in {"host", "port"}:
            query.pop(name)
            dropped.append(name)

    host = url.host or str(query.get("host") or "")
    behind_pooler = pooler == "on" or (pooler == "auto" and "-pooler" in host)
    if behind_pooler:
        # Transaction-mode poolers hand each transaction to any server connection, so a
        # named prepared statement may be missing or already exist there: never keep one.
        connect_args["statement_cache_size"] = 0
        connect_args["prepared_statement_cache_size"] = 0
        connect_args["prepared_statement_name_func"] = _unnamed_statement
        # PgBouncer rejects unknown startup parameters; only application_name passes.
        server_settings = {k: v for k, v in server_settings.items() if k == "application_name"}
    if server_settings:
        connect_args["server_settings"] = server_settings

    final = url.set(drivername="postgresql+asyncpg", query=query)
    return DatabaseTarget(
        url=final.render_as_string(hide_password=False),
        connect_args=connect_args,
        behind_pooler=behind_pooler,
        dropped=tuple(dropped),
    )


def _unnamed_statement() -> str:
    # The unnamed statement lives until the next Parse on the same server connection: nothing to
    # close afterwards (a named one costs a Close round trip per statement) and nothing to leak
    # to another client of the pooler. Prepare and execute share a transaction, so one server.
    return ""


def _install_slow_query_log(engine: AsyncEngine, threshold_ms: int) -> None:
    """Log statements slower than the threshold: text and duration, never parameter values."""
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "before_cursor_execute")
    def _start(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        conn.info.setdefault("query_started", []).append(time.perf_counter())

    @event.listens_for(sync_engine, "after_cursor_execute")
    def _finish(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        started = conn.info.get("query_started")
        if not started:
            return
        elapsed_ms = (time.perf_counter() - started.pop()) * 1000
        if elapsed_ms >= threshold_ms:
            log.warning(
                "slow_query",
                duration_ms=round(elapsed_ms, 2),
                statement=" ".join(statement.split())[:2000],
                threshold_ms=threshold_ms,
            )


def _install_idle_ping(engine: AsyncEngine, idle_seconds: float) -> None:
    """Ping a pooled connection only when it sat idle: a connection used a moment ago is alive,
    and one idle longer may have been closed by a suspended Neon compute."""
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        record.info["last_used"] = time.monotonic()

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
    )
    _install_idle_ping(engine, settings.db_idle_ping_seconds)
    _install_slow_query_log(engine, settings.slow_query_ms)
    _behind_pooler[engine] = target.behind_pooler
    return engine


# Engines that reach the database through a transaction-mode pooler.
_behind_pooler: weakref.WeakKeyDictionary[AsyncEngine, bool] = weakref.WeakKeyDictionary()
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
async def session(*, autocommit: bool = False) -> AsyncIterator[AsyncSession]:
    """A unit of work: committed when the block succeeds, rolled back when it raises.

    The connection is taken on the first statement and returned at the end (or at `release`).
    `autocommit=True` sends no BEGIN/COMMIT: for reads and single-statement writes, which
    PostgreSQL makes atomic on their own, it saves two round trips (direct connections only).
    """
    engine = get_engine()
    # Not behind a transaction-mode pooler: there a statement's prepare and execute must share a
    # transaction, or the pooler may hand them different server connections.
    autocommit = autocommit and not _behind_pooler.get(engine, False)
    bind = _autocommit_view(engine) if autocommit else engine
    async with AsyncSession(bind, expire_on_commit=False) as db:
        try:
            yield db
        except BaseException:
            await db.rollback()
            raise
        await db.commit()


async def release(db: AsyncSession) -> None:
    """Commit what the session did so far and hand its connection back to the pool.

    For a request about to wait on the network (the AI provider): a pool of five must not
    sit idle behind a slow outside call. The session's next statement starts a new transaction.
    """
    if db.in_transaction():
        await db.commit()


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
