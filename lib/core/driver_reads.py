"""Reads sent straight to asyncpg on the unit of work's pooled connection, each shape compiled once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Engine, Executable, PoolProxiedConnection, event, exc
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql.cache_key import HasCacheKey
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import LRUCache, greenlet_spawn

from lib.core.db_events import is_stale_statement, log_if_slow, next_plans_generation, plans_marker

# Per-request statements (a list's filters) come in a few shapes each; this many are kept compiled.
_SHAPES = 512


@dataclass(frozen=True, slots=True)
class _Shape:
    """A statement shape as asyncpg runs it: its SQL, its bind names in `$n` order, its result keys."""

    compiled: SQLCompiler
    sql: str
    bind_names: tuple[str, ...]
    bind_processors: tuple[tuple[int, Callable[[Any], Any]], ...]
    keys: tuple[str, ...] | None  # None for text(): the columns are what the server names
    result_processors: tuple[tuple[int, Callable[[Any], Any]], ...]


_shapes: LRUCache[Any, _Shape] = LRUCache(_SHAPES)


def _shape_of(statement: Executable, dialect: Any, key: Any) -> _Shape | None:
    shape = _shapes.get(key.key)
    if shape is not None:
        return shape
    compiled: SQLCompiler = dialect.statement_compiler(dialect, statement, cache_key=key)
    if compiled.post_compile_params or compiled.literal_execute_params or compiled.positiontup is None:
        return None  # expanding IN lists and literal renders are rewritten per execution: SQLAlchemy's job
    names = tuple(compiled.positiontup)
    processors = compiled._bind_processors
    if any(not callable(processors[name]) for name in names if name in processors):
        return None  # a tuple-valued parameter's per-element processors: SQLAlchemy's job
    results = compiled._result_columns
    shape = _Shape(
        compiled=compiled,
        sql=compiled.string,
        bind_names=names,
        bind_processors=tuple(
            (position, cast(Callable[[Any], Any], processors[name]))
            for position, name in enumerate(names)
            if name in processors
        ),
        keys=tuple(column.keyname for column in results) if results else None,
        result_processors=tuple(
            (position, processor)
            for position, column in enumerate(results)
            if (processor := column.type._cached_result_processor(dialect, None)) is not None
        ),
    )
    _shapes[key.key] = shape
    return shape


async def driver_rows(
    engine: Engine,
    raw: PoolProxiedConnection,
    statement: Executable,
    params: dict[str, Any] | None,
    invalidate: Callable[[BaseException], Awaitable[None]],
) -> list[dict[str, Any]] | None:
    """The rows of `statement` fetched by asyncpg itself on `raw`; None if it needs SQLAlchemy.

    SQLAlchemy's execution (events, cursor adaptation, result wrapping, its greenlet hops) costs
    about five times the driver's own fetch of the same statement. A read outside a transaction
    needs none of it, only what the engine's events add: the slow-query log, the fresh-plans marker
    behind PgBouncer, and errors as SQLAlchemy raises them (a dropped connection invalidated).
    """
    # Memoised on the statement: free for one built once.
    key = statement._generate_cache_key() if isinstance(statement, HasCacheKey) else None
    if key is None:
        return None
    dialect = engine.dialect
    shape = _shape_of(statement, dialect, key)
    if shape is None:
        return None
    values = shape.compiled.construct_params(params, extracted_parameters=key.bindparams, escape_names=False)
    arguments = [values[name] for name in shape.bind_names]
    for position, processor in shape.bind_processors:
        arguments[position] = processor(arguments[position])
    sql = plans_marker(engine) + shape.sql
    started = time.perf_counter()
    try:
        driver: Any = raw.driver_connection
        records = await driver.fetch(sql, *arguments)
    except Exception as error:
        raise await _as_sqlalchemy_error(engine, raw, sql, error, invalidate) from error
    log_if_slow(engine, shape.sql, (time.perf_counter() - started) * 1000)
    keys = shape.keys
    if keys is None:
        return [dict(record.items()) for record in records]
    if not shape.result_processors:
        return [dict(zip(keys, record, strict=True)) for record in records]
    return [_processed(keys, record, shape.result_processors) for record in records]


# Set by `db.session` on a unit of work whose statements each commit on their own (autocommit).
READS_OUTSIDE_TRANSACTION = "reads_outside_transaction"
# In a session's `info`: the pooled connection its reads outside a transaction went to asyncpg on.
POOLED = "pooled_read_connection"


async def pooled_driver_rows(
    db: AsyncSession, engine: Engine, statement: Executable, params: dict[str, Any] | None
) -> list[dict[str, Any]] | None:
    """`driver_rows` on a pooled connection the unit of work keeps for its reads, not its session's.

    A session's connection costs about twice as much to take and give back (a Connection, its
    transaction bookkeeping, a task to close it). The session never holds one at the same time:
    if it starts a transaction, this one goes back to the pool first (`_before_session_connects`).
    """
    info = db.info
    raw: PoolProxiedConnection | None = info.get(POOLED)
    if raw is None:
        raw = info[POOLED] = await greenlet_spawn(engine.pool.connect)  # checkout events: the idle ping
    pooled = raw

    async def invalidate(error: BaseException) -> None:
        info.pop(POOLED, None)
        await greenlet_spawn(pooled.invalidate, error)

    try:
        return await driver_rows(engine, raw, statement, params, invalidate)
    except BaseException as error:
        if not isinstance(error, Exception) and POOLED in info:
            # Cancelled mid-statement: asyncpg's connection may still be busy; never reuse it.
            await asyncio.shield(invalidate(error))
        raise


async def give_back(db: AsyncSession) -> None:
    """Hand the unit of work's read connection, if it took one, back to the pool (its end, `release`)."""
    raw: PoolProxiedConnection | None = db.info.pop(POOLED, None)
    if raw is not None and raw.is_valid:
        await greenlet_spawn(raw.close)


@event.listens_for(Session, "after_transaction_create")
def _before_session_connects(session: Session, transaction: SessionTransaction) -> None:
    # The session is about to take a connection of its own: one per unit of work, never two
    # (five requests each holding one and waiting for a second would empty the pool for good).
    raw: PoolProxiedConnection | None = session.info.pop(POOLED, None)
    if raw is not None and raw.is_valid:
        raw.close()  # a read-only autocommit connection: no transaction to roll back, nothing awaited


def _processed(
    keys: Sequence[str], record: Any, processors: tuple[tuple[int, Callable[[Any], Any]], ...]
) -> dict[str, Any]:
    values = list(record)
    for position, processor in processors:
        values[position] = processor(values[position])
    return dict(zip(keys, values, strict=True))


async def _as_sqlalchemy_error(
    engine: Engine,
    raw: PoolProxiedConnection,
    sql: str,
    error: Exception,
    invalidate: Callable[[BaseException], Awaitable[None]],
) -> BaseException:
    """`error` as SQLAlchemy's execution would have raised it: the same classes for every handler."""
    if is_stale_statement(error):
        next_plans_generation(engine)
    adapted: Any = raw.dbapi_connection
    dialect = engine.dialect
    try:
        adapted._handle_exception(error)  # raises the DBAPI error asyncpg's error maps to
    except Exception as translated:
        dbapi_error: BaseException = translated
    else:  # pragma: no cover - _handle_exception always raises
        dbapi_error = error
    if not isinstance(dbapi_error, dialect.loaded_dbapi.Error):
        return error  # not a database error (a bug, an asyncpg usage error): as it is
    disconnected = dialect.is_disconnect(dbapi_error, adapted, None)
    if disconnected:
        await invalidate(dbapi_error)
    return exc.DBAPIError.instance(
        sql,
        None,
        dbapi_error,
        dialect.loaded_dbapi.Error,
        hide_parameters=True,
        connection_invalidated=disconnected,
        dialect=dialect,
    )
