"""COPY of generated rows into the bench database, one process per group of tables."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any

from bench.common import progress
from bench.datagen.accounts import gen_orders, gen_plans, gen_services, gen_user_services, gen_users
from bench.datagen.draws import Gen
from bench.datagen.history import gen_activity, gen_chatbot, gen_ideas
from bench.datagen.projects import gen_admin_requests, gen_meetings, gen_projects, gen_synopsis
from bench.datagen.vocabulary import PLANS, SERVICES

COLUMNS = {
    "users": "id email password_hash full_name is_admin is_active created_at updated_at",
    "plans": "id name description price_cents currency features is_active created_at updated_at",
    "services": "id name description price_cents currency is_active created_at updated_at",
    "projects": (
        "id user_id title description category tech_stack deadline status deleted_at created_at updated_at"
    ),
    "orders": "id user_id plan_id project_id amount_cents currency status created_at updated_at",
    "synopsis": (
        "id user_id project_id title abstract objectives methodology status feedback reviewed_by "
        "reviewed_at created_at updated_at"
    ),
    "meetings": (
        "id user_id project_id scheduled_at duration_minutes agenda status meeting_link created_at updated_at"
    ),
    "admin_requests": (
        "id user_id request_type message status admin_response resolved_by resolved_at created_at updated_at"
    ),
    "user_services": "id user_id service_id project_id status created_at updated_at",
    "idea_generation_history": (
        "id user_id project_id parent_id title description category tech_stack complexity user_selected "
        "rating refinement_count source model prompt created_at updated_at"
    ),
    "chatbot_history": (
        "id user_id project_id created_at session_id message_type message intent response_time_ms "
        "source model"
    ),
    "activity_logs": (
        "id user_id created_at action entity_type entity_id status details ip_address user_agent method "
        "path duration_ms request_id error_message"
    ),
}


async def copy_table(url: str, table: str, chunks: Iterator[list[tuple[Any, ...]]], total: int) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        # Foreign keys are consistent by construction; skip their per-row triggers while loading.
        await conn.execute("SET session_replication_role = replica; SET synchronous_commit = off")
        started, done, last = time.monotonic(), 0, 0.0
        for rows in chunks:
            await conn.copy_records_to_table(table, records=rows, columns=COLUMNS[table].split())
            done += len(rows)
            now = time.monotonic()
            if now - last > 2 or done >= total:
                rate = done / max(now - started, 1e-9)
                progress(f"  {table:<24} {done:>9,}/{total:,} rows ({done / total:4.0%})  {rate:,.0f} rows/s")
                last = now
    finally:
        await conn.close()


def load_tables(url: str, tables: list[str], counts: dict[str, int], now: float, password_hash: str) -> None:
    """One process: generate and COPY `tables` in order."""
    makers: dict[str, Callable[[Gen], Iterator[list[tuple[Any, ...]]]]] = {
        "users": lambda g: gen_users(g, password_hash),
        "plans": gen_plans,
        "services": gen_services,
        "projects": gen_projects,
        "orders": gen_orders,
        "synopsis": gen_synopsis,
        "meetings": gen_meetings,
        "admin_requests": gen_admin_requests,
        "user_services": gen_user_services,
        "idea_generation_history": gen_ideas,
        "chatbot_history": gen_chatbot,
        "activity_logs": gen_activity,
    }
    for table in tables:
        g = Gen(f"launchpad-bench-{table}", counts, now)
        total = counts.get(table) or {"plans": len(PLANS), "services": len(SERVICES)}[table]
        asyncio.run(copy_table(url, table, makers[table](g), total))
