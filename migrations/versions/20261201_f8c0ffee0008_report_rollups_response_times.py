"""report rollups of activity per user and chatbot response times, idea_daily holding only rolled
days, and covering indexes for chatbot sessions, response times and failed actions

Revision ID: f8c0ffee0008
Revises: e7c0ffee0007
Create Date: 2026-12-01 19:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "f8c0ffee0008"
down_revision: str | None = "e7c0ffee0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# chatbot_history's rollups now read these columns too: an UPDATE of any of them unrolls the day
# (the trigger function and the insert/delete triggers are e7c0ffee0007's, unchanged).
CHATBOT_BEFORE = ("created_at", "user_id")
CHATBOT_AFTER = ("created_at", "user_id", "message_type", "intent", "response_time_ms")
# activity_logs' rollups now read user_id too (activity_user_daily).
ACTIVITY_BEFORE = ("created_at", "action", "status")
ACTIVITY_AFTER = ("created_at", "action", "status", "user_id")


# e7c0ffee0007's stats_unroll_day, and now: unrolling a day of ideas also deletes its idea_daily rows,
# so that idea_daily holds exactly the rolled days and the all-time idea-categories report sums the
# whole table instead of joining it to stats_rolled_days.
UNROLL_DAY = """
CREATE OR REPLACE FUNCTION stats_unroll_day(src text, moment timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    the_day date := (moment AT TIME ZONE 'UTC')::date;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('stats_rollup:' || src), the_day - date '2000-01-01');
    DELETE FROM stats_rolled_days WHERE source = src AND day = the_day;{also}
END $$"""
ALSO_IDEAS = """
    IF src = 'idea_generation_history' THEN
        DELETE FROM idea_daily WHERE day = the_day;
    END IF;"""


def _update_trigger(table: str, columns: Sequence[str]) -> None:
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)
    op.execute(f"DROP TRIGGER {table}_unroll_update ON {table}")
    op.execute(f"""
        CREATE TRIGGER {table}_unroll_update AFTER UPDATE ON {table}
        FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION stats_unroll_rows()""")


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    # One row per UTC day and intent (NULL included: no primary key, roll_day writes each pair once):
    # the bot's timed answers, their total, and every response time in ascending order, so that the
    # chatbot-response-times report finds its exact p95 in the top of each day's list.
    op.create_table(
        "chatbot_response_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("intent", sa.String(length=50), nullable=True),
        sa.Column("messages", sa.BigInteger(), nullable=False),
        sa.Column("total_ms", sa.BigInteger(), nullable=False),
        sa.Column("times", postgresql.ARRAY(sa.Integer()), nullable=False),
    )
    op.create_index("ix_chatbot_response_daily_day", "chatbot_response_daily", ["day"])
    _update_trigger("chatbot_history", CHATBOT_AFTER)
    # One row per UTC day and user: how many activity rows (the active-users report reads each
    # day's largest counts from the second index and a user's days from the primary key).
    op.create_table(
        "activity_user_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("actions", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "day", name=op.f("pk_activity_user_daily")),
    )
    op.create_index("ix_activity_user_daily_day_actions", "activity_user_daily", ["day", "actions"])
    _update_trigger("activity_logs", ACTIVITY_AFTER)
    # Days rolled before these tables existed have no rows in them: the next cron run rolls them
    # again (until then the reports read those days live, exactly and only slower).
    op.execute("DELETE FROM stats_rolled_days WHERE source IN ('chatbot_history', 'activity_logs')")
    op.execute(UNROLL_DAY.format(also=ALSO_IDEAS))
    # Rows of days unrolled before now (kept until their next roll) go the same way.
    op.execute("""
        DELETE FROM idea_daily i WHERE NOT EXISTS (
            SELECT 1 FROM stats_rolled_days r WHERE r.source = 'idea_generation_history' AND r.day = i.day
        )""")
    # A session list reads a user's sessions from the index alone (min(id) included); a session's
    # page is in its order (created_at, id).
    op.create_index(
        "ix_chatbot_history_user_id_session_id_created_at_id",
        "chatbot_history",
        ["user_id", "session_id", "created_at", "id"],
        if_not_exists=True,
    )
    op.drop_index("ix_chatbot_history_user_id_session_id_created_at", table_name="chatbot_history")
    # chatbot-response-times' live part (today, the window's first day) from the index alone.
    op.create_index(
        "ix_chatbot_history_bot_created_at",
        "chatbot_history",
        ["created_at"],
        postgresql_include=["intent", "response_time_ms"],
        postgresql_where=sa.text("message_type = 'bot' AND response_time_ms IS NOT NULL"),
        if_not_exists=True,
    )
    # failed-actions' live part (today, the window's first day) from the index alone.
    op.create_index(
        "ix_activity_logs_status_created_at_action",
        "activity_logs",
        ["status", "created_at"],
        postgresql_include=["action"],
        if_not_exists=True,
    )
    op.drop_index("ix_activity_logs_status_created_at", table_name="activity_logs")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_index("ix_activity_logs_status_created_at", "activity_logs", ["status", "created_at"])
    op.drop_index("ix_activity_logs_status_created_at_action", table_name="activity_logs")
    op.drop_index("ix_chatbot_history_bot_created_at", table_name="chatbot_history")
    op.create_index(
        "ix_chatbot_history_user_id_session_id_created_at",
        "chatbot_history",
        ["user_id", "session_id", "created_at"],
    )
    op.drop_index("ix_chatbot_history_user_id_session_id_created_at_id", table_name="chatbot_history")
    op.execute(UNROLL_DAY.format(also=""))  # idea_daily rows of unrolled days may stay (stale, unread)
    _update_trigger("activity_logs", ACTIVITY_BEFORE)
    op.drop_index("ix_activity_user_daily_day_actions", table_name="activity_user_daily")
    op.drop_table("activity_user_daily")
    _update_trigger("chatbot_history", CHATBOT_BEFORE)
    op.drop_index("ix_chatbot_response_daily_day", table_name="chatbot_response_daily")
    op.drop_table("chatbot_response_daily")
