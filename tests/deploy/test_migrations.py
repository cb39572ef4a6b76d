"""Migrations: reversible, drift-free, and the deploy script is safe to run twice at once."""

from __future__ import annotations

import asyncio
import subprocess

import asyncpg
from alembic import command

from devkit.processes import PYTHON, ROOT, subprocess_env
from scripts.migrate import alembic_config

TABLES = {
    "users",
    "projects",
    "plans",
    "orders",
    "services",
    "user_services",
    "synopsis",
    "meetings",
    "admin_requests",
    "activity_logs",
    "chatbot_history",
    "idea_generation_history",
    "outbox",
    "account_tokens",
    "notifications",
    "payment_events",
    "idempotency_keys",
}
REQUIRED_INDEXES = {
    "ix_users_email_is_admin",
    "ix_users_created_at",
    "ix_users_email_lower",
    "ix_projects_user_id_status_created_at",
    "ix_projects_category_status",
    "ix_projects_search",
    "ix_orders_user_id_status_created_at",
    "ix_orders_plan_id_status",
    "ix_synopsis_user_id_status_created_at",
    "ix_synopsis_status_created_at",
    "ix_activity_logs_user_id_action_created_at",
    "ix_activity_logs_entity_type_entity_id",
    "ix_activity_logs_status_action",
    "ix_chatbot_history_user_id_session_id_created_at_id",
    "ix_chatbot_history_intent_created_at",
    "ix_chatbot_history_project_id",
    "ix_idea_generation_history_user_id_user_selected_created_at",
    "ix_idea_generation_history_category_user_selected",
    "ix_idea_generation_history_project_id",
    "ix_outbox_status_next_attempt_at",
}


async def _catalog(url: str) -> tuple[set[str], set[str]]:
    conn = await asyncpg.connect(url)
    try:
        tables = {
            r["tablename"]
            for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")
        }
        indexes = {
            r["indexname"]
            for r in await conn.fetch("SELECT indexname FROM pg_indexes WHERE schemaname='public'")
        }
        return tables, indexes
    finally:
        await conn.close()


def _alembic(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / ".venv/bin/alembic") if (ROOT / ".venv/bin/alembic").exists() else "alembic", *args],
        cwd=ROOT,
        env=subprocess_env(DATABASE_URL=url, DATABASE_URL_UNPOOLED=url),  # the direct URL wins
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_upgrade_downgrade_upgrade_and_no_drift(make_database) -> None:
    url = make_database("launchpad_migrations")
    assert _alembic(url, "upgrade", "head").returncode == 0
    tables, indexes = asyncio.run(_catalog(url))
    assert tables >= TABLES
    assert indexes >= REQUIRED_INDEXES

    down = _alembic(url, "downgrade", "base")
    assert down.returncode == 0, down.stderr
    tables, _ = asyncio.run(_catalog(url))
    assert tables <= {"alembic_version"}

    assert _alembic(url, "upgrade", "head").returncode == 0
    check = _alembic(url, "check")
    assert check.returncode == 0, check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr


def test_every_revision_has_a_downgrade() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    for revision in script.walk_revisions():
        source = revision.module.downgrade.__code__
        assert source.co_code, f"{revision.revision} has an empty downgrade"
        assert len(source.co_names) > 0, f"{revision.revision} downgrade does nothing"


def _migrate(url: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [PYTHON, str(ROOT / "scripts/migrate.py"), *args],
        env=subprocess_env(DATABASE_URL=url, DATABASE_URL_UNPOOLED=url),  # the direct URL wins
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_migrate_script_check_and_concurrent_runs(make_database) -> None:
    url = make_database("launchpad_deploy")
    check = _migrate(url, "--check")
    out, _ = check.communicate(timeout=60)
    assert check.returncode == 1 and "BEHIND" in out

    runs = [_migrate(url), _migrate(url)]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    head = alembic_config()
    from alembic.script import ScriptDirectory

    head_rev = ScriptDirectory.from_config(head).get_current_head()
    befores = sorted(out.splitlines()[0] for out, _ in outputs)
    # One run migrated from base; the other waited on the lock and found the database at head.
    assert befores == sorted(["revision before: base", f"revision before: {head_rev}"])
    assert all(f"revision after: {head_rev}" in out for out, _ in outputs)

    check = _migrate(url, "--check")
    out, _ = check.communicate(timeout=60)
    assert check.returncode == 0 and "up to date" in out


def test_migrate_sql_prints_ddl_without_a_database() -> None:
    run = subprocess.run(
        [PYTHON, str(ROOT / "scripts/migrate.py"), "--sql"],
        env=subprocess_env(DATABASE_URL="", DATABASE_URL_UNPOOLED=""),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert "CREATE TABLE users" in run.stdout and "CREATE INDEX ix_projects_search" in run.stdout


def test_alembic_check_command_api(database_url: str) -> None:
    config = alembic_config()
    config.attributes["database_url"] = database_url
    command.check(config)  # raises when models and migrations differ
