"""GET /api/admin/stats/{report}: admin usage reports, each one SQL statement (indexes, daily rollups)."""

import lib.startup  # noqa: F401  (first: no garbage collection while this function loads)

from typing import Any

from pydantic import BaseModel
from sqlalchemy import text

from lib.schemas.stats import (
    ActiveUserRow,
    ChatbotDayRow,
    DaysQuery,
    FailedActionRow,
    IdeaCategoryRow,
    LimitQuery,
    RecentIdeaRow,
    Report,
    ResponseTimeRow,
    TopQuery,
)
from lib.web.app import create_app, lambda_handler
from lib.web.endpoints import Call, Endpoint, get

SINCE = "now() - make_interval(days => :days)"

# Each statement is served by an index named in its comment (see BENCHMARKS.md for plans at volume).


def _rolled_or_live(source: str, since: str, live: str) -> str:
    """The CTEs of a report over `source` from `since` (NULL: all time): `rolled`, the complete UTC
    days whose rollup rows are current; `live`, the rows of every other part of the window (`live`
    is "<select list over t> [WHERE <conditions>]"), one created_at range scan per stretch.

    A day is read from its rollup only once the daily cron rolled it and while none of its rows has
    changed since (triggers unroll it), so the sum is exactly what a scan of the rows would count.
    """
    select_list, _, conditions = live.partition(" WHERE ")
    extra = f" AND {conditions}" if conditions else ""
    return f"""
    WITH bounds AS MATERIALIZED (
        SELECT {since} AS since, (now() AT TIME ZONE 'UTC')::date AS today
    ), rolled AS MATERIALIZED (
        SELECT r.day FROM stats_rolled_days r, bounds b
        WHERE r.source = '{source}' AND r.day < b.today
          AND r.day >= coalesce((b.since AT TIME ZONE 'UTC')::date + 1, '-infinity'::date)
    ), spans AS (                                            -- [from_day, to_day): no rollup there
        SELECT lag(day) OVER (ORDER BY day) + 1 AS from_day, day AS to_day FROM rolled
        UNION ALL
        SELECT max(day) + 1, NULL FROM rolled
    ), live AS (
        SELECT t.* FROM spans s, bounds b, LATERAL (
            SELECT {select_list} FROM {source} t
            WHERE t.created_at >= greatest(b.since, coalesce(s.from_day::timestamp AT TIME ZONE 'UTC',
                                                             '-infinity'))
              AND t.created_at < coalesce(s.to_day::timestamp AT TIME ZONE 'UTC', 'infinity'){extra}
            OFFSET 0                 -- a fence: one created_at range scan per span, never a join
        ) t                          -- of the whole table against the spans
        WHERE s.from_day IS NULL OR s.to_day IS NULL OR s.from_day < s.to_day
    )"""


# The top users by activity rows in the window, exactly: the rows of the plain query (each user's
# rows since `since` counted, the largest counts first, ties by user_id, then the email).
#   Days the daily cron rolled (activity_user_daily, while unchanged) are read from their rollup;
# the window's first day is partial (since is now() minus whole days); today, and any day not
# rolled (a gap), are only in the rows.
#   Lists: each rolled day offers its `depth` largest counts (the first day those of its whole day:
# a user's rows after `since` are at most the day's), today its largest counts, the gaps theirs. A
# user on none of the lists has at most `threshold`, the sum of each list's depth-th count (0 for a
# list shorter than that). The users on the lists are counted in full: their rolled days from the
# rollup, the rest of the window from their own rows (ix_activity_logs_user_id_created_at). When
# `limit` of them have more than the threshold, they are the answer; when not (no user stands out),
# the statement adds up every user's days and rows instead.
#   Only today's rows are read one by one (an index range scan, grouped once); the first day costs
# a look-up per user on the lists, whatever the time of day.
ACTIVE_USERS = text("""
    WITH bounds AS MATERIALIZED (
        SELECT since, (since AT TIME ZONE 'UTC')::date AS first_day, (now() AT TIME ZONE 'UTC')::date AS today
        FROM (SELECT now() - make_interval(days => :days) AS since) s
    ), first AS MATERIALIZED (       -- the window's first day, when rolled: [since, until) of it
        SELECT r.day, b.since, (r.day + 1)::timestamp AT TIME ZONE 'UTC' AS until
        FROM stats_rolled_days r, bounds b                                   -- pk_stats_rolled_days
        WHERE r.source = 'activity_logs' AND r.day = b.first_day AND r.day < b.today
    ), rolled AS MATERIALIZED (      -- the complete days rolled up
        SELECT r.day FROM stats_rolled_days r, bounds b
        WHERE r.source = 'activity_logs' AND r.day > b.first_day AND r.day < b.today
    ), gaps AS MATERIALIZED (        -- [from_at, to_at): a stretch before today with no rollup
        SELECT * FROM (
            SELECT coalesce(s.from_day::timestamp AT TIME ZONE 'UTC', (SELECT until FROM first), b.since)
                       AS from_at,
                   s.to_day::timestamp AT TIME ZONE 'UTC' AS to_at
            FROM (
                SELECT lag(day) OVER (ORDER BY day) + 1 AS from_day, day AS to_day
                FROM (SELECT day FROM rolled UNION ALL SELECT today FROM bounds) d
            ) s, bounds b
        ) g
        WHERE from_at < to_at
    ), depth AS MATERIALIZED (
        SELECT 2 * CAST(:limit AS bigint) + 10 AS k
    ), lists AS MATERIALIZED (       -- (list, user_id, count): each rolled day's largest counts,
        SELECT r.day::text AS list, a.user_id, a.actions                    -- today's, the gaps'
        FROM (SELECT day FROM rolled UNION ALL SELECT day FROM first) r, LATERAL (
            SELECT user_id, actions FROM activity_user_daily a     -- ix_activity_user_daily_day_actions
            WHERE a.day = r.day ORDER BY actions DESC LIMIT (SELECT k FROM depth)
        ) a
        UNION ALL
        (SELECT 'today', t.user_id, count(*) FROM activity_logs t      -- ix_activity_logs_created_at
         WHERE t.created_at >= date_trunc('day', now(), 'UTC') AND t.user_id IS NOT NULL
         GROUP BY t.user_id ORDER BY count(*) DESC LIMIT (SELECT k FROM depth))
        UNION ALL
        (SELECT 'gaps', t.user_id, count(*) FROM gaps g, LATERAL (
             SELECT t.user_id FROM activity_logs t                     -- ix_activity_logs_created_at
             WHERE t.created_at >= g.from_at AND t.created_at < g.to_at AND t.user_id IS NOT NULL
             OFFSET 0                -- a fence: one created_at range scan per gap, never a join
         ) t                         -- of the whole table against the gaps
         GROUP BY t.user_id ORDER BY count(*) DESC LIMIT (SELECT k FROM depth))
    ), threshold AS MATERIALIZED (   -- the most a user on no list can have
        SELECT coalesce(sum(kth), 0) AS t FROM (
            SELECT CASE WHEN count(*) >= (SELECT k FROM depth) THEN min(actions) ELSE 0 END AS kth
            FROM lists GROUP BY list
        ) per_list
    ), candidates AS MATERIALIZED (  -- every user on a list, counted in full
        SELECT c.user_id, (
            coalesce((SELECT sum(a.actions) FROM activity_user_daily a       -- pk_activity_user_daily
                      WHERE a.user_id = c.user_id AND a.day >= (SELECT min(day) FROM rolled)
                        AND a.day IN (SELECT day FROM rolled)), 0)
            + (SELECT count(*) FROM activity_logs t       -- ix_activity_logs_user_id_created_at
               WHERE t.user_id = c.user_id AND t.created_at >= date_trunc('day', now(), 'UTC'))
            + (SELECT count(*) FROM first f, activity_logs t
               WHERE t.user_id = c.user_id AND t.created_at >= f.since AND t.created_at < f.until)
            + coalesce((SELECT sum(n) FROM gaps g, LATERAL (         -- one range per gap
                SELECT count(*) AS n FROM activity_logs t
                WHERE t.user_id = c.user_id AND t.created_at >= g.from_at AND t.created_at < g.to_at
            ) n), 0)
        )::bigint AS actions
        FROM (SELECT DISTINCT user_id FROM lists) c
    ), exact AS MATERIALIZED (
        SELECT (SELECT t FROM threshold) = 0
            OR (SELECT count(*) FROM candidates WHERE actions > (SELECT t FROM threshold))
               >= CAST(:limit AS bigint) AS ok
    ), counted AS (
        SELECT user_id, actions FROM candidates WHERE (SELECT ok FROM exact)
        UNION ALL
        SELECT user_id, sum(n)::bigint FROM (                         -- every user's days and rows
            SELECT a.user_id, a.actions AS n FROM rolled r JOIN activity_user_daily a ON a.day = r.day
            UNION ALL
            SELECT t.user_id, 1 FROM activity_logs t
            WHERE t.created_at >= date_trunc('day', now(), 'UTC') AND t.user_id IS NOT NULL
            UNION ALL
            SELECT t.user_id, 1 FROM first f JOIN activity_logs t
              ON t.created_at >= f.since AND t.created_at < f.until AND t.user_id IS NOT NULL
            UNION ALL
            SELECT t.user_id, 1 FROM gaps g JOIN activity_logs t
              ON t.created_at >= g.from_at AND t.created_at < g.to_at AND t.user_id IS NOT NULL
        ) everyone
        WHERE NOT (SELECT ok FROM exact)
        GROUP BY user_id
    )
    SELECT top.user_id, u.email, top.actions
    FROM (SELECT * FROM counted ORDER BY actions DESC, user_id LIMIT :limit) top
    JOIN users u ON u.id = top.user_id                         -- pk_users, only for the top rows
    ORDER BY top.actions DESC, top.user_id""")
# failed-actions, chatbot-daily and chatbot-response-times read complete days from the daily
# rollups (lib/core/rollups.py) and only the window's first, partial day, today and any day not
# rolled (yet) from the rows.
FAILED_ACTIONS = text(
    _rolled_or_live(
        "activity_logs",
        SINCE,
        "t.action, t.status WHERE t.status IN ('failed', 'error')",  # ix_activity_logs_created_at
    )
    + """
    SELECT action, status, sum(n)::bigint AS count
    FROM (
        SELECT action, status, count(*) AS n FROM live GROUP BY action, status
        UNION ALL
        SELECT a.action, a.status, a.actions
        FROM rolled r, LATERAL (                                      -- pk_activity_daily, per day
            SELECT * FROM activity_daily a WHERE a.day = r.day AND a.status IN ('failed', 'error') OFFSET 0
        ) a
    ) counted
    GROUP BY action, status
    ORDER BY count DESC, action, status"""
)
CHATBOT_DAILY = text(
    _rolled_or_live("chatbot_history", SINCE, "t.created_at, t.user_id")  # ix_chatbot_history_created_at
    + """
    SELECT (created_at AT TIME ZONE 'UTC')::date AS date,
           count(*) AS messages, count(DISTINCT user_id) AS unique_users
    FROM live
    GROUP BY 1
    UNION ALL
    SELECT c.day, c.messages, c.unique_users
    FROM chatbot_daily c                     -- pk_chatbot_daily: the window's days, then the rolled
    WHERE c.day >= (SELECT min(day) FROM rolled) AND c.day IN (SELECT day FROM rolled)
    ORDER BY 1 DESC"""
)
# avg, p95 and count of the bot's response times by intent. Complete days come from
# chatbot_response_daily (every time of the day, ascending), the rest of the window live. p95 is
# percentile_cont(0.95): with n times, the ascending rows floor(0.95 (n - 1)) and ceil(...), i.e. the
# lo_rank-th and hi_rank-th largest, interpolated as percentile_cont does (float8 lerp). Those two
# are found among the m largest times of each rolled day (and all live times): exact whenever the
# lo_rank-th largest candidate is at least every time left out (`cut`, the largest one not taken);
# if it is not (a day far above the rest), the statement sorts every time of the window instead.
# Intents are matched NULL-safely (a NULL intent is a group of its own, as in GROUP BY) and sorted
# by a number (g) rather than by their text.
RESPONSE_TIMES = text(
    _rolled_or_live(
        "chatbot_history",
        SINCE,
        "t.intent, t.response_time_ms WHERE t.message_type = 'bot' AND t.response_time_ms IS NOT NULL",
    )  # ix_chatbot_history_bot_created_at
    + """
    , counted AS MATERIALIZED (       -- one row per live intent (its times unsorted), one per rolled
        SELECT intent, count(*) AS n, sum(response_time_ms) AS ms,              -- (day, intent)
               array_agg(response_time_ms) AS times, true AS live
        FROM live GROUP BY intent
        UNION ALL
        SELECT c.intent, c.messages, c.total_ms, c.times, false
        FROM rolled r, LATERAL (                              -- ix_chatbot_response_daily_day
            SELECT * FROM chatbot_response_daily c WHERE c.day = r.day OFFSET 0
        ) c
    ), totals AS MATERIALIZED (       -- per intent: count, sum, the two ranks and m
        SELECT *, CASE WHEN day_rows = 0 THEN 0
                       ELSE least(lo_rank, 2 * lo_rank / day_rows + 8) END AS m
        FROM (
            SELECT *, row_number() OVER () AS g,
                   total_n - floor(pos)::bigint AS lo_rank, total_n - ceil(pos)::bigint AS hi_rank
            FROM (
                SELECT intent, sum(n)::bigint AS total_n, sum(ms) AS total_ms,
                       count(*) FILTER (WHERE NOT live) AS day_rows,
                       0.95::float8 * (sum(n) - 1)::float8 AS pos
                FROM counted GROUP BY intent
            ) t
        ) r
    ), tops AS MATERIALIZED (         -- all live times and the m largest of each rolled day; `cut`:
        SELECT g, live, top, max(left_out) OVER (PARTITION BY g) AS cut   -- the largest left out
        FROM (
            SELECT t.g, c.live,
                   CASE WHEN c.live THEN c.times
                        ELSE c.times[cardinality(c.times) - t.m + 1:cardinality(c.times)] END AS top,
                   CASE WHEN c.live THEN NULL ELSE c.times[cardinality(c.times) - t.m] END AS left_out
            FROM counted c
            JOIN totals t ON coalesce(t.intent, '') = coalesce(c.intent, '')
                         AND (t.intent IS NULL) = (c.intent IS NULL)
        ) sliced
    ), picked AS MATERIALIZED (       -- only the candidates not below the cut can be the two times
        SELECT t.*, s.cut, s.desc_times[t.lo_rank] AS lo_v, s.desc_times[t.hi_rank] AS hi_v
        FROM totals t
        LEFT JOIN (
            SELECT g, min(cut) AS cut, array_agg(v ORDER BY v DESC) AS desc_times
            FROM tops, unnest(
                CASE WHEN cut IS NULL OR live THEN top                 -- live times: unsorted, filtered
                     ELSE top[width_bucket(cut - 1, top) + 1:cardinality(top)] END       -- >= cut
            ) AS v
            WHERE v >= cut OR cut IS NULL
            GROUP BY g
        ) s USING (g)
    ), exact AS MATERIALIZED (
        SELECT coalesce(bool_and(lo_v IS NOT NULL AND (cut IS NULL OR lo_v >= cut)), true) AS ok FROM picked
    )
    SELECT intent, (total_ms / total_n)::float AS avg_response_ms,
           lo_v::float8 + (pos - floor(pos)) * (hi_v::float8 - lo_v::float8) AS p95_response_ms,
           total_n AS count
    FROM picked WHERE (SELECT ok FROM exact)
    UNION ALL
    SELECT min(t.intent), (min(t.total_ms) / min(t.total_n))::float,   -- not exact from the tops:
           percentile_cont(0.95) WITHIN GROUP (ORDER BY v), min(t.total_n)      -- every time
    FROM counted c
    JOIN totals t ON coalesce(t.intent, '') = coalesce(c.intent, '')
                 AND (t.intent IS NULL) = (c.intent IS NULL),
         unnest(c.times) AS v
    WHERE NOT (SELECT ok FROM exact)
    GROUP BY t.g
    ORDER BY count DESC, intent"""
)
# All time: every complete day from idea_daily, today (and days changed since their roll) live.
IDEA_CATEGORIES = text(
    _rolled_or_live(
        "idea_generation_history", "NULL::timestamptz", "t.category, t.user_selected"
    )  # ix_idea_generation_history_created_at
    + """
    SELECT category, sum(total)::bigint AS total_ideas, sum(selected)::bigint AS selected_ideas,
           round(sum(selected)::numeric / sum(total), 4)::float AS selection_rate
    FROM (
        SELECT category, count(*) AS total, count(*) FILTER (WHERE user_selected) AS selected
        FROM live GROUP BY category
        UNION ALL
        SELECT category, sum(total_ideas), sum(selected_ideas)    -- the whole table: a seq scan
        FROM idea_daily GROUP BY category    -- its rows are the rolled days' (unrolling deletes them)
    ) counted
    GROUP BY category
    ORDER BY total_ideas DESC, category"""
)
RECENT_IDEAS = text("""
    SELECT user_id, title, category, user_selected, created_at   -- ix_idea_generation_history_created_at
    FROM idea_generation_history
    ORDER BY created_at DESC, id DESC
    LIMIT :limit""")


async def _report(call: Call[Any, Any], name: str, statement: Any, row: type[BaseModel]) -> Report[Any]:
    params = call.query.model_dump() if call.query is not None else {}
    result = await call.db.execute(statement, params)
    return Report[row](report=name, params=params, rows=[row.model_validate(r._mapping) for r in result])  # type: ignore[valid-type]  # a runtime model


async def active_users_report(call: Call[None, TopQuery]) -> Report[ActiveUserRow]:
    return await _report(call, "active-users", ACTIVE_USERS, ActiveUserRow)


async def failed_actions_report(call: Call[None, DaysQuery]) -> Report[FailedActionRow]:
    return await _report(call, "failed-actions", FAILED_ACTIONS, FailedActionRow)


async def chatbot_daily_report(call: Call[None, DaysQuery]) -> Report[ChatbotDayRow]:
    return await _report(call, "chatbot-daily", CHATBOT_DAILY, ChatbotDayRow)


async def chatbot_response_times_report(call: Call[None, DaysQuery]) -> Report[ResponseTimeRow]:
    return await _report(call, "chatbot-response-times", RESPONSE_TIMES, ResponseTimeRow)


async def idea_categories_report(call: Call[None, None]) -> Report[IdeaCategoryRow]:
    return await _report(call, "idea-categories", IDEA_CATEGORIES, IdeaCategoryRow)


async def recent_ideas_report(call: Call[None, LimitQuery]) -> Report[RecentIdeaRow]:
    return await _report(call, "recent-ideas", RECENT_IDEAS, RecentIdeaRow)


def _report_endpoint(name: str, handler: Any, row: type[BaseModel]) -> Endpoint:
    return get(
        f"/api/admin/stats/{name}",
        handler,
        auth="admin",
        response=Report[row],  # type: ignore[valid-type]  # each report its own concrete model
        summary=f"Admin report: {name}",
    )


ENDPOINTS = [
    _report_endpoint("active-users", active_users_report, ActiveUserRow),
    _report_endpoint("failed-actions", failed_actions_report, FailedActionRow),
    _report_endpoint("chatbot-daily", chatbot_daily_report, ChatbotDayRow),
    _report_endpoint("chatbot-response-times", chatbot_response_times_report, ResponseTimeRow),
    _report_endpoint("idea-categories", idea_categories_report, IdeaCategoryRow),
    _report_endpoint("recent-ideas", recent_ideas_report, RecentIdeaRow),
]

app = create_app(ENDPOINTS)
__getattr__ = lambda_handler(app)  # `handler` for AWS Lambda, built on first use
