"""GET /api/admin/stats/{report}: admin usage reports, each one indexed SQL statement."""

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
ACTIVE_USERS = text(f"""
    SELECT top.user_id, u.email, top.actions
    FROM (
        SELECT user_id, count(*) AS actions                   -- ix_activity_logs_created_at
        FROM activity_logs
        WHERE created_at >= {SINCE} AND user_id IS NOT NULL
        GROUP BY user_id
        ORDER BY actions DESC, user_id
        LIMIT :limit
    ) top JOIN users u ON u.id = top.user_id                   -- pk_users, only for the top rows
    ORDER BY top.actions DESC, top.user_id""")
FAILED_ACTIONS = text(f"""
    SELECT action, status, count(*) AS count                 -- ix_activity_logs_status_created_at
    FROM activity_logs
    WHERE status IN ('failed', 'error') AND created_at >= {SINCE}
    GROUP BY action, status
    ORDER BY count DESC, action, status""")
CHATBOT_DAILY = text(f"""
    SELECT (created_at AT TIME ZONE 'UTC')::date AS date,    -- ix_chatbot_history_created_at
           count(*) AS messages, count(DISTINCT user_id) AS unique_users
    FROM chatbot_history
    WHERE created_at >= {SINCE}
    GROUP BY 1
    ORDER BY 1 DESC""")
RESPONSE_TIMES = text(f"""
    SELECT intent, avg(response_time_ms)::float AS avg_response_ms,   -- ix_chatbot_history_created_at
           percentile_cont(0.95) WITHIN GROUP (ORDER BY response_time_ms) AS p95_response_ms,
           count(*) AS count
    FROM chatbot_history
    WHERE message_type = 'bot' AND response_time_ms IS NOT NULL AND created_at >= {SINCE}
    GROUP BY intent
    ORDER BY count DESC, intent""")
IDEA_CATEGORIES = text("""
    SELECT category, count(*) AS total_ideas,            -- ix_idea_generation_history_category_user_selected
           count(*) FILTER (WHERE user_selected) AS selected_ideas,
           round(count(*) FILTER (WHERE user_selected)::numeric / count(*), 4)::float AS selection_rate
    FROM idea_generation_history
    GROUP BY category
    ORDER BY total_ideas DESC, category""")
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
