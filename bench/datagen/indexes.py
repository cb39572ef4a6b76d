"""Around the load: drop the secondary indexes first, then rebuild them, reset sequences, VACUUM."""

from __future__ import annotations

import asyncio
import time

from bench.common import progress
from bench.datagen.load import COLUMNS

SECONDARY_INDEXES = """
    SELECT c.relname AS table_name, i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS ddl
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relname = ANY($1::text[])
      AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
    ORDER BY pg_relation_size(c.oid) DESC, 2"""


async def prepare(url: str) -> list[dict[str, str]]:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        tables = list(COLUMNS)
        await conn.execute(
            f"TRUNCATE {', '.join(tables)}, activity_logs_archive, chatbot_history_archive CASCADE"
        )
        indexes = [dict(r) for r in await conn.fetch(SECONDARY_INDEXES, tables)]
        for index in indexes:
            await conn.execute(f"DROP INDEX {index['name']}")
        return indexes
    finally:
        await conn.close()


async def finish(url: str, indexes: list[dict[str, str]]) -> None:
    """Recreate the indexes (two at a time), reset sequences, VACUUM ANALYZE."""
    import asyncpg

    queue: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    for index in indexes:
        queue.put_nowait(index)
    started = time.monotonic()

    async def builder() -> None:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("SET maintenance_work_mem = '512MB'")
            while not queue.empty():
                index = queue.get_nowait()
                t0 = time.monotonic()
                await conn.execute(index["ddl"])
                if time.monotonic() - t0 > 1.0:
                    progress(f"  index {index['name']:<58} {time.monotonic() - t0:6.1f}s")
        finally:
            await conn.close()

    progress(f"building {len(indexes)} secondary indexes")
    await asyncio.gather(builder(), builder())
    progress(f"indexes built in {time.monotonic() - started:.1f}s; VACUUM ANALYZE")
    conn = await asyncpg.connect(url)
    try:
        for table in COLUMNS:
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
    finally:
        await conn.close()
    tables: asyncio.Queue[str] = asyncio.Queue()
    for table in COLUMNS:
        tables.put_nowait(table)

    async def vacuumer() -> None:
        conn = await asyncpg.connect(url)
        try:
            while not tables.empty():
                await conn.execute(f"VACUUM (ANALYZE) {tables.get_nowait()}")
        finally:
            await conn.close()

    await asyncio.gather(vacuumer(), vacuumer())
