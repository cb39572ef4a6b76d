"""Daily rollups of the admin reports: roll every complete UTC day not yet rolled, one day per transaction."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock

from sqlalchemy import text

from lib.core.db import session
from lib.models.stats_rollups import ROLLUP_VERSION

# Source table -> its rollup tables, each beside the statement that writes one day's rows of it
# (:day, [:start, :end)). A day of a source is rolled (stats_rolled_days) in all of them at once.
ROLLUPS: dict[str, tuple[tuple[str, str], ...]] = {
    "activity_logs": (
        (
            "activity_daily",
            """
            INSERT INTO activity_daily (day, status, action, actions)
            SELECT :day, status, action, count(*) FROM activity_logs
            WHERE created_at >= :start AND created_at < :end
            GROUP BY status, action""",
        ),
        (
            "activity_user_daily",
            """
            INSERT INTO activity_user_daily (day, user_id, actions)
            SELECT :day, user_id, count(*) FROM activity_logs
            WHERE created_at >= :start AND created_at < :end AND user_id IS NOT NULL
            GROUP BY user_id""",
        ),
    ),
    "chatbot_history": (
        (
            "chatbot_daily",
            """
            INSERT INTO chatbot_daily (day, messages, unique_users)
            SELECT :day, count(*), count(DISTINCT user_id) FROM chatbot_history
            WHERE created_at >= :start AND created_at < :end
            HAVING count(*) > 0""",
        ),
        (
            # Every response time of the day, ascending: the report's p95 is exact from them.
            "chatbot_response_daily",
            """
            INSERT INTO chatbot_response_daily (day, intent, messages, total_ms, times)
            SELECT :day, intent, count(*), sum(response_time_ms),
                   array_agg(response_time_ms ORDER BY response_time_ms)
            FROM chatbot_history
            WHERE created_at >= :start AND created_at < :end
              AND message_type = 'bot' AND response_time_ms IS NOT NULL
            GROUP BY intent""",
        ),
    ),
    "idea_generation_history": (
        (
            "idea_daily",
            """
            INSERT INTO idea_daily (day, category, total_ideas, selected_ideas)
            SELECT :day, category, count(*), count(*) FILTER (WHERE user_selected)
            FROM idea_generation_history
            WHERE created_at >= :start AND created_at < :end
            GROUP BY category""",
        ),
    ),
}
# Every rollup table, for ANALYZE.
ROLLUP_TABLES = [table for tables in ROLLUPS.values() for table, _ in tables]

# Days before today (UTC) from the table's oldest row that have no stats_rolled_days row: never
# rolled, or changed since (the triggers of migration e7c0ffee0007 delete the row).
PENDING = """
    SELECT d::date AS day
    FROM generate_series(
        (SELECT (min(created_at) AT TIME ZONE 'UTC')::date FROM {table}),
        (now() AT TIME ZONE 'UTC')::date - 1,
        interval '1 day'
    ) AS d
    WHERE NOT EXISTS (SELECT 1 FROM stats_rolled_days r WHERE r.source = :source AND r.day = d::date)
    ORDER BY 1"""
# The lock the triggers take before they unroll a day: a change to the day waits for its roll, or
# the roll waits for the change to commit and then counts it.
LOCK = """
    SELECT pg_advisory_xact_lock(
        hashtext('stats_rollup:' || CAST(:source AS text)), CAST(:day AS date) - date '2000-01-01'
    )"""


@dataclass(frozen=True)
class RollupResult:
    rolled: int
    pending: int


async def roll_up(*, deadline: float) -> RollupResult:
    """Roll every pending day of every source until none is left or `deadline` (monotonic) nears."""
    rolled = pending = 0
    for source in ROLLUPS:
        async with session() as db:
            days = [
                row.day for row in await db.execute(text(PENDING.format(table=source)), {"source": source})
            ]
        for index, day in enumerate(days):
            if time.monotonic() >= deadline:
                pending += len(days) - index
                break
            await roll_day(source, day)
            rolled += 1
    if rolled:
        # Fresh statistics for the small rollup tables (a backfill grows them from nothing): the
        # reports' plans should not wait for autovacuum to notice.
        async with session() as db:
            await db.execute(text(f"ANALYZE stats_rolled_days, {', '.join(ROLLUP_TABLES)}"))
    return RollupResult(rolled=rolled, pending=pending)


async def roll_day(source: str, day: date) -> None:
    """Replace `day`'s rows of each rollup of `source` with a fresh count and mark the day rolled."""
    start = datetime.combine(day, clock(), UTC)
    params = {
        "source": source,
        "day": day,
        "start": start,
        "end": start + timedelta(days=1),
        "version": ROLLUP_VERSION,
    }
    async with session() as db:
        await db.execute(text(LOCK), params)
        for table, insert in ROLLUPS[source]:
            await db.execute(text(f"DELETE FROM {table} WHERE day = :day"), params)
            await db.execute(text(insert), params)
        await db.execute(
            text(
                "INSERT INTO stats_rolled_days (source, day, version) VALUES (:source, :day, :version)"
                " ON CONFLICT DO NOTHING"
            ),
            params,
        )
