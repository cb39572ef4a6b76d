"""Reads without the ORM: a response model's columns selected as Core rows and validated straight into it."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Executable
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import configure_mappers

from lib.core.driver_reads import READS_OUTSIDE_TRANSACTION, driver_rows, pooled_driver_rows


@cache
def out_columns(model: Any, out: type[BaseModel]) -> tuple[ColumnElement[Any], ...] | None:
    """The columns of `model` that `out` reads, each labelled as its field; None when `out` needs the ORM.

    A response model built from an ORM object reads attributes; when every field is a plain mapped
    column of that name, selecting those columns gives the same values without loading an object
    (no identity map, no instance state): about half of a warm read's CPU. A field that is a
    Python property, an alias, or a before-validator (which would see a row, not the object)
    keeps the ORM path.
    """
    decorators = out.__pydantic_decorators__
    if any(d.info.mode in ("before", "wrap") for d in decorators.model_validators.values()):
        return None
    attributes = sa_inspect(model).column_attrs
    columns: list[ColumnElement[Any]] = []
    for name, field in out.model_fields.items():
        attribute = attributes.get(name)
        if attribute is None or len(attribute.columns) != 1 or field.validation_alias or field.alias:
            return None
        column = attribute.columns[0]
        columns.append(column if column.key == name else column.label(name))
    return tuple(columns)


@cache
def model_columns(model: Any) -> tuple[ColumnElement[Any], ...]:
    """Every column `model` loads (deferred ones left out), each labelled as its attribute."""
    columns: list[ColumnElement[Any]] = []
    for attribute in sa_inspect(model).column_attrs:
        if not attribute.deferred:
            column = attribute.columns[0]
            columns.append(column if column.key == attribute.key else column.label(attribute.key))
    return tuple(columns)


# The session's connection, as `core_rows` last asked for it (in `AsyncSession.info`), and its
# asyncpg connection when reads may go straight to it.
_CONNECTION = "core_connection"
_DRIVER = "core_driver"


@cache
def _class_manager(model: Any) -> Any:
    configure_mappers()  # what the first ORM query would do: the attributes' implementations exist
    return sa_inspect(model).class_manager


def instance_of(model: Any, row: dict[str, Any]) -> Any:
    """An instance of `model` holding a `model_columns` row, in no session (for reading only).

    Filled as the ORM's loader fills one, straight into its dict: the constructor would send every
    value through attribute events (about ten times the cost) that only a unit of work needs.
    """
    instance = _class_manager(model).new_instance()
    instance.__dict__.update(row)
    return instance


async def core_rows(
    db: AsyncSession, statement: Executable, params: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The rows of a Core `statement` as dicts, on the unit of work's connection (its transaction, if any)."""
    connection: AsyncConnection | None = db.info.get(_CONNECTION)
    if connection is None or connection.closed or not db.in_transaction():
        if db.info.get(READS_OUTSIDE_TRANSACTION) and not db.in_transaction():
            # An autocommit unit of work that holds no connection: asyncpg runs the read on one
            # taken from the pool just for it (the session's own would cost twice as much).
            rows = await pooled_driver_rows(db, db.bind.sync_engine, statement, params)
            if rows is not None:
                return rows
        # Asked of the session once per transaction (each ask is a trip through greenlet_spawn);
        # after a commit or `release()` that connection is closed and the next one is asked for.
        connection = db.info[_CONNECTION] = await db.connection()
        raw = await connection.get_raw_connection()
        # Outside a transaction asyncpg can run the read itself: nothing to begin, commit or roll back.
        adapted: Any = raw.dbapi_connection
        db.info[_DRIVER] = raw if adapted.autocommit else None
    raw = db.info[_DRIVER]
    if raw is not None:
        rows = await driver_rows(connection.sync_engine, raw, statement, params, connection.invalidate)
        if rows is not None:
            return rows
    # Session.execute would route even a Core select through the ORM's execution (its events,
    # its result wrapping); the session's own connection runs it as plain Core.
    result = await connection.execute(statement, params)
    keys = tuple(result.keys())
    # Plain dicts: pydantic reads a dict in one pass, a RowMapping through Mapping.get per field.
    return [dict(zip(keys, row, strict=True)) for row in result]
