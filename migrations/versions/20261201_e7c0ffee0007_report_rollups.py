"""report rollups: per-day aggregates for the admin reports, and an activity index in list order

Revision ID: e7c0ffee0007
Revises: d4c0ffee0004
Create Date: 2026-12-01 16:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e7c0ffee0007"
down_revision: str | None = "d4c0ffee0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A rolled day stays valid only while its rows do not change. Any INSERT dated before today, any
# UPDATE of a column a rollup reads and any DELETE (archive cron, a user's cascade) removes the
# day's stats_rolled_days row, so the reports read that day live again until the cron re-rolls it.
# The advisory lock is the one lib/core/rollups.py takes while rolling a day: a change and a roll
# of the same day never interleave.
UNROLL_FUNCTIONS = (
    """
CREATE FUNCTION stats_unroll_day(src text, moment timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    the_day date := (moment AT TIME ZONE 'UTC')::date;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('stats_rollup:' || src), the_day - date '2000-01-01');
    DELETE FROM stats_rolled_days WHERE source = src AND day = the_day;
END $$""",
    """
CREATE FUNCTION stats_unroll_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM stats_unroll_day(TG_TABLE_NAME, OLD.created_at);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        PERFORM stats_unroll_day(TG_TABLE_NAME, NEW.created_at);
    END IF;
    RETURN NULL;
END $$""",
    """
CREATE FUNCTION stats_unroll_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Once per statement (an archive batch of 5000 rows touches a day or two), days in order.
    PERFORM stats_unroll_day(TG_TABLE_NAME, (d::timestamp AT TIME ZONE 'UTC'))
    FROM (SELECT DISTINCT (created_at AT TIME ZONE 'UTC')::date AS d FROM gone ORDER BY 1) days;
    RETURN NULL;
END $$""",
)
# Table -> the columns its rollup reads besides created_at (an UPDATE of any other column is free).
ROLLED = {
    "activity_logs": ("action", "status"),
    "chatbot_history": ("user_id",),
    "idea_generation_history": ("category", "user_selected"),
}
# Today's rows are always read live: only a back-dated INSERT can change a rolled day.
PAST = "NEW.created_at < date_trunc('day', now(), 'UTC')"


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "stats_rolled_days",
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rolled_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("source", "day", name=op.f("pk_stats_rolled_days")),
    )
    op.create_table(
        "activity_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("actions", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "status", "action", name=op.f("pk_activity_daily")),
    )
    op.create_table(
        "chatbot_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("messages", sa.BigInteger(), nullable=False),
        sa.Column("unique_users", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_chatbot_daily")),
    )
    op.create_table(
        "idea_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=50), nullable=False),
        sa.Column("total_ideas", sa.BigInteger(), nullable=False),
        sa.Column("selected_ideas", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "category", name=op.f("pk_idea_daily")),
    )
    for function in UNROLL_FUNCTIONS:
        op.execute(function)
    for table, columns in ROLLED.items():
        changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in ("created_at", *columns))
        op.execute(f"""
            CREATE TRIGGER {table}_unroll_insert AFTER INSERT ON {table}
            FOR EACH ROW WHEN ({PAST}) EXECUTE FUNCTION stats_unroll_rows()""")
        op.execute(f"""
            CREATE TRIGGER {table}_unroll_update AFTER UPDATE ON {table}
            FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION stats_unroll_rows()""")
        op.execute(f"""
            CREATE TRIGGER {table}_unroll_delete AFTER DELETE ON {table}
            REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION stats_unroll_deleted()""")
    # The admin activity list filtered by action, in its ORDER BY (created_at DESC, id DESC): the
    # planner no longer walks ix_activity_logs_created_at past every other action (43 ms).
    # Not CONCURRENTLY: that waits for every open transaction, a second migrate.py waiting on the
    # migration lock included (a deadlock). A plain build blocks activity writes for its duration
    # (about 3 s at 2M rows here); on a much bigger table, run the CREATE INDEX CONCURRENTLY by hand
    # first (docs/MIGRATIONS.md) and IF NOT EXISTS skips it here.
    op.create_index(
        "ix_activity_logs_action_created_at_id",
        "activity_logs",
        ["action", "created_at", "id"],
        if_not_exists=True,
    )
    op.drop_index("ix_activity_logs_action_created_at", table_name="activity_logs")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_index("ix_activity_logs_action_created_at", "activity_logs", ["action", "created_at"])
    op.drop_index("ix_activity_logs_action_created_at_id", table_name="activity_logs")
    for table in ROLLED:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER {table}_unroll_{event} ON {table}")
    op.execute("DROP FUNCTION stats_unroll_deleted()")
    op.execute("DROP FUNCTION stats_unroll_rows()")
    op.execute("DROP FUNCTION stats_unroll_day(text, timestamptz)")
    op.drop_table("idea_daily")
    op.drop_table("chatbot_daily")
    op.drop_table("activity_daily")
    op.drop_table("stats_rolled_days")
