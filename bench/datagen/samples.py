"""What the measurements need to know about the data set, read back and saved in bench_meta."""

from __future__ import annotations

import json
from typing import Any

from bench.datagen.load import COLUMNS


async def samples(url: str, counts: dict[str, int]) -> dict[str, Any]:
    """Ids and values the measurements use: the bench accounts and realistic filter values."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        power, writer = 2, counts["users"]
        typical = await conn.fetchval(
            "SELECT user_id FROM projects WHERE deleted_at IS NULL GROUP BY user_id "
            "HAVING count(*) BETWEEN 3 AND 5 ORDER BY user_id LIMIT 1"
        )
        q = "SELECT id FROM projects WHERE user_id = $1 AND deleted_at IS NULL ORDER BY id DESC LIMIT 1"
        session = await conn.fetchval(
            "SELECT session_id FROM chatbot_history WHERE user_id = $1 ORDER BY created_at DESC LIMIT 1",
            power,
        )
        order_project = await conn.fetchval(
            "SELECT project_id FROM orders WHERE project_id IS NOT NULL ORDER BY id DESC LIMIT 1"
        )
        synopsis_project = await conn.fetchval("SELECT project_id FROM synopsis ORDER BY id DESC LIMIT 1")
        entity_id = await conn.fetchval(
            "SELECT entity_id FROM activity_logs WHERE entity_type = 'project' ORDER BY id DESC LIMIT 1"
        )
        per_user = await conn.fetch(
            "SELECT 'projects' AS t, count(*) AS n FROM projects WHERE user_id = $1 "
            "UNION ALL SELECT 'activity_logs', count(*) FROM activity_logs WHERE user_id = $1 "
            "UNION ALL SELECT 'chatbot_history', count(*) FROM chatbot_history WHERE user_id = $1 "
            "UNION ALL SELECT 'idea_generation_history', count(*) FROM idea_generation_history "
            "WHERE user_id = $1",
            power,
        )
        old = await conn.fetchval(
            "SELECT count(*) FROM activity_logs WHERE created_at < now() - make_interval(days => 90)"
        )
        sizes = await conn.fetch(
            "SELECT relname, pg_total_relation_size(oid) AS bytes FROM pg_class "
            "WHERE relname = ANY($1::text[]) ORDER BY 2 DESC",
            list(COLUMNS),
        )
        return {
            "admin_id": 1,
            "power_id": power,
            "typical_id": typical,
            "writer_id": writer,
            "power_project_id": await conn.fetchval(q, power),
            "typical_project_id": await conn.fetchval(q, typical),
            "power_session_id": str(session),
            "order_project_id": order_project,
            "synopsis_project_id": synopsis_project,
            "activity_entity_id": entity_id,
            "power_rows": {r["t"]: r["n"] for r in per_user},
            "activity_older_than_90_days": old,
            "table_bytes": {r["relname"]: r["bytes"] for r in sizes},
        }
    finally:
        await conn.close()


async def save_meta(url: str, dataset: dict[str, Any]) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value jsonb NOT NULL)"
        )
        await conn.execute(
            "INSERT INTO bench_meta VALUES ('dataset', $1) ON CONFLICT (key) DO UPDATE SET value = $1",
            json.dumps(dataset, default=str),
        )
    finally:
        await conn.close()
