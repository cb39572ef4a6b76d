"""(4) Every list/filter/report query the API runs, EXPLAIN (ANALYZE, BUFFERS) with and without its index."""

from __future__ import annotations

import asyncio
import importlib
import json
import statistics
import sys
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from bench.common import (
    database_url,
    log_path,
    meta,
    progress,
    reps,
    roll_up_reports,
    token_for,
    use_app_env,
    write_result,
)
from devkit.wire import short_sql

# Tables small enough that a sequential scan is the right plan (chatbot_daily: a row a day, 3 pages
# a year), or read whole (idea_daily: the all-time idea-categories report sums every row of it).
TINY_TABLES = {"plans", "services", "chatbot_daily", "idea_daily"}
GOAL_SPEEDUP = 50.0
GOAL_MS = 5.0

# Issue 18: the shapes (and the index) these statements had before, EXPLAINed in the same run as
# today's and checked to return the same rows. name -> (setup run inside the rolled-back
# transaction, the old SQL, how its parameters are built from the data set's meta).
# The old projects search, in the columns the list returns now (deleted_at, always NULL there, is gone).
OLD_PROJECTS = (
    "SELECT projects.id, projects.user_id, projects.title, projects.description, projects.category, "
    "projects.tech_stack, projects.deadline, projects.status, projects.created_at, "
    "projects.updated_at FROM projects WHERE {own}projects.deleted_at IS NULL AND (projects.search @@ "
    "websearch_to_tsquery({ts})) ORDER BY projects.created_at DESC, projects.id DESC LIMIT {limit}"
)
OLD_SINCE = "now() - make_interval(days => $1)"
BEFORE: dict[str, tuple[list[str], str, Any]] = {
    "projects: own, full-text q": (
        [],
        OLD_PROJECTS.format(
            own="projects.user_id = $1::BIGINT AND ", ts="$2::REGCONFIG, $3::VARCHAR", limit="$4"
        ),
        lambda data: (data["power_id"], "english", "attendance", 21),
    ),
    "projects: admin, q (4% match)": (
        [],
        OLD_PROJECTS.format(own="", ts="$1::REGCONFIG, $2::VARCHAR", limit="$3"),
        lambda data: ("english", "aquaponics", 21),
    ),
    "projects: admin, q (no match)": (
        [],
        OLD_PROJECTS.format(own="", ts="$1::REGCONFIG, $2::VARCHAR", limit="$3"),
        lambda data: ("english", "zeppelin", 21),
    ),
    "activity: admin, action": (
        [
            "DROP INDEX ix_activity_logs_action_created_at_id",
            "CREATE INDEX ix_activity_logs_action_created_at ON activity_logs (action, created_at)",
        ],
        "SELECT * FROM activity_logs WHERE activity_logs.action = $1::VARCHAR "
        "ORDER BY activity_logs.created_at DESC, activity_logs.id DESC LIMIT $2::INTEGER",
        lambda data: ("login", 21),
    ),
    "chatbot: own sessions": (
        [
            "DROP INDEX ix_chatbot_history_user_id_session_id_created_at_id",
            "CREATE INDEX ix_chatbot_history_user_id_session_id_created_at "
            "ON chatbot_history (user_id, session_id, created_at)",
        ],
        "SELECT anon_1.session_id, anon_1.message_count, anon_1.last_message_at, "
        "left(chatbot_history.message, $1::INTEGER) AS first_message FROM (SELECT chatbot_history.session_id "
        "AS session_id, count(*) AS message_count, max(chatbot_history.created_at) AS last_message_at, "
        "min(chatbot_history.id) AS first_id FROM chatbot_history WHERE chatbot_history.user_id = $2::BIGINT "
        "GROUP BY chatbot_history.session_id) AS anon_1 JOIN chatbot_history ON chatbot_history.id = "
        "anon_1.first_id ORDER BY anon_1.last_message_at DESC, anon_1.session_id DESC LIMIT $3::INTEGER",
        lambda data: (200, data["power_id"], 21),
    ),
    "stats: active-users": (
        [],
        f"""SELECT top.user_id, u.email, top.actions FROM (SELECT user_id, count(*) AS actions
        FROM activity_logs WHERE created_at >= {OLD_SINCE} AND user_id IS NOT NULL
        GROUP BY user_id ORDER BY actions DESC, user_id LIMIT $2) top JOIN users u ON u.id = top.user_id
        ORDER BY top.actions DESC, top.user_id""",
        lambda data: (7, 10),
    ),
    "stats: failed-actions": (
        [
            "DROP INDEX ix_activity_logs_status_created_at_action",
            "CREATE INDEX ix_activity_logs_status_created_at ON activity_logs (status, created_at)",
        ],
        f"""SELECT action, status, count(*) AS count FROM activity_logs
        WHERE status IN ('failed', 'error') AND created_at >= {OLD_SINCE}
        GROUP BY action, status ORDER BY count DESC, action, status""",
        lambda data: (30,),
    ),
    "stats: chatbot-daily": (
        [],
        f"""SELECT (created_at AT TIME ZONE 'UTC')::date AS date,
        count(*) AS messages, count(DISTINCT user_id) AS unique_users
        FROM chatbot_history WHERE created_at >= {OLD_SINCE} GROUP BY 1 ORDER BY 1 DESC""",
        lambda data: (30,),
    ),
    "stats: chatbot-response-times": (
        ["DROP INDEX ix_chatbot_history_bot_created_at"],
        f"""SELECT intent, avg(response_time_ms)::float AS avg_response_ms,
        percentile_cont(0.95) WITHIN GROUP (ORDER BY response_time_ms) AS p95_response_ms, count(*) AS count
        FROM chatbot_history WHERE message_type = 'bot' AND response_time_ms IS NOT NULL
        AND created_at >= {OLD_SINCE} GROUP BY intent ORDER BY count DESC, intent""",
        lambda data: (30,),
    ),
    "stats: idea-categories": (
        [],
        """SELECT category, count(*) AS total_ideas, count(*) FILTER (WHERE user_selected) AS selected_ideas,
        round(count(*) FILTER (WHERE user_selected)::numeric / count(*), 4)::float AS selection_rate
        FROM idea_generation_history GROUP BY category ORDER BY total_ideas DESC, category""",
        lambda data: (),
    ),
}


def scenarios(data: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(name, function module, URL, role) for every list, filter and report the API serves."""
    now = datetime.now(UTC)

    def iso(moment: datetime) -> str:
        return quote(moment.isoformat(timespec="seconds"))

    power, project = data["power_id"], data["order_project_id"]
    month_ago = iso(now - timedelta(days=30))
    return [
        ("projects: own list", "api.projects", "/api/projects", "user"),
        ("projects: own, status", "api.projects", "/api/projects?status=in_progress", "user"),
        ("projects: own, category", "api.projects", "/api/projects?category=web-development", "user"),
        ("projects: own, full-text q", "api.projects", "/api/projects?q=attendance", "user"),
        ("projects: own, page 2 (cursor)", "api.projects", "CURSOR:/api/projects", "user"),
        ("projects: admin list", "api.projects", "/api/projects", "admin"),
        ("projects: admin, status", "api.projects", "/api/projects?status=submitted", "admin"),
        ("projects: admin, category", "api.projects", "/api/projects?category=iot", "admin"),
        ("projects: admin, q (4% match)", "api.projects", "/api/projects?q=aquaponics", "admin"),
        ("projects: admin, q (no match)", "api.projects", "/api/projects?q=zeppelin", "admin"),
        ("projects: admin, user_id", "api.projects", f"/api/projects?user_id={power}", "admin"),
        ("orders: own list", "api.orders", "/api/orders", "user"),
        ("orders: own, status", "api.orders", "/api/orders?status=paid", "user"),
        ("orders: admin, status", "api.orders", "/api/orders?status=pending", "admin"),
        ("orders: admin, project_id", "api.orders", f"/api/orders?project_id={project}", "admin"),
        ("orders: admin, user_id", "api.orders", f"/api/orders?user_id={power}", "admin"),
        ("synopsis: own list", "api.synopsis", "/api/synopsis", "user"),
        ("synopsis: admin, status", "api.synopsis", "/api/synopsis?status=submitted", "admin"),
        (
            "synopsis: admin, project_id",
            "api.synopsis",
            f"/api/synopsis?project_id={data['synopsis_project_id']}",
            "admin",
        ),
        ("meetings: own list", "api.meetings", "/api/meetings", "user"),
        ("meetings: admin, status", "api.meetings", "/api/meetings?status=requested", "admin"),
        (
            "meetings: admin, status + from/to",
            "api.meetings",
            f"/api/meetings?status=confirmed&from={month_ago}&to={iso(now + timedelta(days=30))}",
            "admin",
        ),
        ("admin-requests: own list", "api.admin_requests", "/api/admin-requests", "user"),
        ("admin-requests: admin, status", "api.admin_requests", "/api/admin-requests?status=open", "admin"),
        ("activity: own list", "api.activity", "/api/activity", "user"),
        ("activity: admin list", "api.activity", "/api/activity", "admin"),
        ("activity: admin, user_id", "api.activity", f"/api/activity?user_id={power}", "admin"),
        ("activity: admin, action", "api.activity", "/api/activity?action=login", "admin"),
        ("activity: admin, status", "api.activity", "/api/activity?status=failed", "admin"),
        (
            "activity: admin, user_id + action",
            "api.activity",
            f"/api/activity?user_id={power}&action=update_project",
            "admin",
        ),
        (
            "activity: admin, entity",
            "api.activity",
            f"/api/activity?entity_type=project&entity_id={data['activity_entity_id']}",
            "admin",
        ),
        (
            "activity: admin, since/until (1 day)",
            "api.activity",
            f"/api/activity?since={month_ago}&until={iso(now - timedelta(days=29))}",
            "admin",
        ),
        (
            "activity: admin, status + action",
            "api.activity",
            "/api/activity?status=error&action=create_order",
            "admin",
        ),
        ("chatbot: own sessions", "api.chatbot", "/api/chatbot/sessions", "user"),
        ("chatbot: one session", "api.chatbot", f"/api/chatbot/sessions/{data['power_session_id']}", "user"),
        ("ideas: own list", "api.ideas", "/api/ideas", "user"),
        ("ideas: own, category", "api.ideas", "/api/ideas?category=web-development", "user"),
        ("ideas: own, selected", "api.ideas", "/api/ideas?selected=true", "user"),
        ("stats: active-users", "api.stats", "/api/admin/stats/active-users", "admin"),
        ("stats: failed-actions", "api.stats", "/api/admin/stats/failed-actions", "admin"),
        ("stats: chatbot-daily", "api.stats", "/api/admin/stats/chatbot-daily", "admin"),
        ("stats: chatbot-response-times", "api.stats", "/api/admin/stats/chatbot-response-times", "admin"),
        ("stats: idea-categories", "api.stats", "/api/admin/stats/idea-categories", "admin"),
        ("stats: recent-ideas", "api.stats", "/api/admin/stats/recent-ideas", "admin"),
    ]


def is_auth_lookup(sql: str) -> bool:
    """The caller's user by id: the ORM's labelled select (writes) or the Core one (reads)."""
    flat = " ".join(sql.split())
    return flat.startswith("SELECT users.id") and flat.endswith("FROM users WHERE users.id = $1::BIGINT")


async def capture(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Run each scenario through its function's app; keep the statements it sent (with parameters)."""
    from sqlalchemy import event

    from bench.asgi import call
    from lib.core.db import dispose_engine, get_engine

    statements: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        statements.append((statement, params))

    event.listen(get_engine().sync_engine, "before_cursor_execute", record)
    # Reads outside a transaction skip SQLAlchemy's execution (lib/core/driver_reads.py): asyncpg's
    # own fetch sends them, with the SQL SQLAlchemy compiled; recorded there as sent.
    import asyncpg

    driver_fetch = asyncpg.Connection.fetch

    async def fetch(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        statements.append((query, args))
        return await driver_fetch(self, query, *args, **kwargs)

    asyncpg.Connection.fetch = fetch  # type: ignore[method-assign]
    tokens = {"user": token_for(data["power_id"]), "admin": token_for(data["admin_id"])}
    captured = []
    for name, module_name, url, role in scenarios(data):
        app = importlib.import_module(module_name).app
        if url.startswith("CURSOR:"):
            url = url.removeprefix("CURSOR:")
            _, body = await call(app, "GET", url, token=tokens[role])
            url = f"{url}?cursor={json.loads(body)['next_cursor']}"
        statements.clear()
        status, body = await call(app, "GET", url, token=tokens[role])
        queries = [(s, p) for s, p in statements if not is_auth_lookup(s)]
        for index, (sql, params) in enumerate(queries):
            label = name if len(queries) == 1 else f"{name} #{index + 1}"
            captured.append(
                {"name": label, "url": url, "role": role, "status": status, "sql": sql, "params": params}
            )
        if status != 200:
            captured.append(
                {"name": name, "url": url, "role": role, "status": status, "error": body[:300].decode()}
            )
    asyncpg.Connection.fetch = driver_fetch  # type: ignore[method-assign]
    await dispose_engine()
    return captured


def walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = [node]
    for child in node.get("Plans", []):
        nodes += walk(child)
    return nodes


def plan_facts(plan: dict[str, Any]) -> dict[str, Any]:
    nodes = walk(plan["Plan"])
    top = plan["Plan"]
    return {
        "indexes": sorted({n["Index Name"] for n in nodes if "Index Name" in n}),
        "seq_scans": sorted({n["Relation Name"] for n in nodes if n["Node Type"] == "Seq Scan"}),
        "nodes": " > ".join(dict.fromkeys(n["Node Type"] for n in nodes)),
        "rows": top.get("Actual Rows"),
        "buffers_hit": top.get("Shared Hit Blocks", 0),
        "buffers_read": top.get("Shared Read Blocks", 0),
    }


async def explain(conn: Any, sql: str, params: Any) -> tuple[float, float, dict[str, Any]]:
    raw = await conn.fetchval(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}", *(params or ()))
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]
    return plan["Execution Time"], plan["Planning Time"], plan


async def measure(url: str, captured: list[dict[str, Any]], data: dict[str, Any]) -> list[dict[str, Any]]:
    import asyncpg

    with_runs, without_runs = reps(5, 3), reps(3, 2)
    conn = await asyncpg.connect(url)
    rows = []
    try:
        await conn.execute("SET statement_timeout = '60s'")
        for item in captured:
            if "error" in item:
                rows.append(item)
                continue
            sql, params = item["sql"], item["params"]
            await explain(conn, sql, params)  # warm the cache once
            runs = [await explain(conn, sql, params) for _ in range(with_runs)]
            facts = plan_facts(runs[-1][2])
            row: dict[str, Any] = {
                "name": item["name"],
                "url": item["url"],
                "role": item["role"],
                "sql": short_sql(sql, 400),
                "with_ms": statistics.median(r[0] for r in runs),
                "with_min_ms": min(r[0] for r in runs),
                "with_max_ms": max(r[0] for r in runs),
                "planning_ms": statistics.median(r[1] for r in runs),
                **facts,
            }
            droppable = [i for i in facts["indexes"] if not i.startswith("pk_")]
            if droppable:
                # "Without": drop the index inside a transaction, explain, ROLLBACK (it never goes away).
                await conn.execute("BEGIN")
                try:
                    for index in droppable:
                        await conn.execute(f'DROP INDEX "{index}"')
                    without = [await explain(conn, sql, params) for _ in range(without_runs)]
                finally:
                    await conn.execute("ROLLBACK")
                after = plan_facts(without[-1][2])
                row.update(
                    dropped=droppable,
                    without_ms=statistics.median(r[0] for r in without),
                    without_min_ms=min(r[0] for r in without),
                    without_max_ms=max(r[0] for r in without),
                    without_plan=after["nodes"],
                    without_indexes=after["indexes"],
                    without_seq_scans=after["seq_scans"],
                )
                row["speedup"] = round(row["without_ms"] / max(row["with_ms"], 1e-3), 1)
            if item["name"] in BEFORE:
                row.update(await before(conn, item["name"], sql, params, data, with_runs))
                if not row["same_rows"]:  # a wrong answer is no speed-up: say so where it is seen
                    progress(f"  !! {item['name']}: the rows differ from the old statement's")
            big_seq = [t for t in facts["seq_scans"] if t not in TINY_TABLES]
            row["index_backed"] = bool(droppable) and not big_seq
            row["goal_speedup"] = row.get("speedup", 0) >= GOAL_SPEEDUP
            row["goal_under_5ms"] = row["with_ms"] < GOAL_MS
            rows.append(row)
            progress(
                f"  {row['name']:<42} {row['with_ms']:8.2f} ms  "
                f"without {row.get('without_ms', float('nan')):9.2f} ms"
                f"  {','.join(row['indexes']) or 'no index'}"
            )
    finally:
        await conn.close()
    return rows


async def before(
    conn: Any, name: str, sql: str, params: Any, data: dict[str, Any], runs: int
) -> dict[str, Any]:
    """The statement's shape before issue 18, in a rolled-back transaction: its plan, time, rows."""
    setup, old_sql, old_params = BEFORE[name]
    old_args = old_params(data)
    # One snapshot for both answers: a benchmark writing beside this one cannot make them differ.
    await conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    try:
        new_rows = [dict(r.items()) for r in await conn.fetch(sql, *(params or ()))]
        for statement in setup:
            await conn.execute(statement)
        await explain(conn, old_sql, old_args)  # warm the cache once
        timed = [await explain(conn, old_sql, old_args) for _ in range(runs)]
        old_rows = [dict(r.items()) for r in await conn.fetch(old_sql, *old_args)]
    finally:
        await conn.execute("ROLLBACK")
    facts = plan_facts(timed[-1][2])
    return {
        "before_sql": short_sql(old_sql, 400),
        "before_setup": setup,
        "before_ms": statistics.median(r[0] for r in timed),
        "before_min_ms": min(r[0] for r in timed),
        "before_max_ms": max(r[0] for r in timed),
        "before_plan": facts["nodes"],
        "before_indexes": facts["indexes"],
        "before_buffers": f"{facts['buffers_hit']}/{facts['buffers_read']}",
        # The same rows (as column -> value), in the same order, from the old shape and the new one.
        "same_rows": old_rows == new_rows,
        "before_rows": len(old_rows),
    }


def main() -> int:
    data = meta()
    url = database_url()
    use_app_env(url, LOG_LEVEL="warning")
    sys.stderr.flush()
    # The reports read complete days from rollups the archive cron keeps; the data set was written
    # straight into the tables, so roll it up the way the cron would before measuring.
    rollups = asyncio.run(roll_up_reports())
    progress(f"rolled up {rollups['rolled_days']} report days in {rollups['seconds']:.1f}s (the cron's step)")
    progress("capturing the statements each list/filter/report sends")
    real_stderr = sys.stderr
    sys.stderr = open(log_path("indexes"), "a")  # noqa: SIM115
    try:
        captured = asyncio.run(capture(data))
    finally:
        sys.stderr = real_stderr
    progress(f"EXPLAIN (ANALYZE, BUFFERS) of {len(captured)} statements, with and without their indexes")
    rows = asyncio.run(measure(url, captured, data))
    write_result(
        "indexes",
        {
            "rows": rows,
            "activity_rows": data["counts"]["activity_logs"],
            "goal_speedup": GOAL_SPEEDUP,
            "goal_ms": GOAL_MS,
            "rollups": rollups,
        },
    )
    measured = [r for r in rows if "with_ms" in r]
    progress(
        f"{sum(r['index_backed'] for r in measured)}/{len(measured)} index-backed, "
        f"{sum(r['goal_speedup'] for r in measured)} >={GOAL_SPEEDUP:g}x faster than without, "
        f"{sum(r['goal_under_5ms'] for r in measured)} under {GOAL_MS:g} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
