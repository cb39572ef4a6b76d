"""Behind a transaction-mode PgBouncer, as Neon runs it and older: concurrent queries from fresh processes."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest

from devkit.pgbouncer import SERVER_POOL_SIZE, PgBouncer
from devkit.processes import PYTHON, subprocess_env

WORKER = """
import asyncio, json
from sqlalchemy import text
from lib.core.db import session

async def one(n):
    try:
        # Half as reads run (autocommit requested), half as writes run (a transaction).
        async with session(autocommit=n % 2 == 0) as db:
            # Parameterised statements of several shapes: each is prepared by asyncpg.
            await db.execute(text("SELECT count(*) FROM users WHERE id > :n"), {"n": n})
            statement = text("SELECT CAST(:a AS int) + CAST(:b AS int), CAST(:s AS text)")
            await db.execute(statement, {"a": n, "b": 1, "s": str(n)})
        return None
    except Exception as error:
        return f"{type(error).__name__}: {error}"[:200]

async def main():
    results = await asyncio.gather(*(one(i) for i in range(50)))
    errors = [r for r in results if r]
    print(json.dumps({"ok": len(results) - len(errors), "errors": errors[:3], "failed": len(errors)}))

asyncio.run(main())
"""


def run_workers(url: str, pooler_mode: str, processes: int = 4) -> list[dict[str, Any]]:
    env = subprocess_env(DATABASE_URL=url, DB_POOLER=pooler_mode, DB_POOL_SIZE="5", LOG_LEVEL="error")
    workers = [
        subprocess.Popen(
            [PYTHON, "-c", WORKER],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def pooled(request: pytest.FixtureRequest, mode: str) -> str:
    """The pooled URL of the test database through the `mode` configuration (its fixture)."""
    from tests.conftest import TEST_DB

    request.getfixturevalue("database_url")
    bouncer: PgBouncer = request.getfixturevalue(f"{mode}_pgbouncer")
    return bouncer.url(TEST_DB)


@pytest.mark.parametrize("mode", ["prepared", "legacy"])
def test_200_concurrent_queries_from_fresh_processes_all_succeed(
    request: pytest.FixtureRequest, mode: str
) -> None:
    """With our engine settings for the pooler (DB_POOLER=prepared or legacy)."""
    results = run_workers(pooled(request, mode), mode)
    assert sum(r["ok"] for r in results) == 200, results
    assert all(r["failed"] == 0 for r in results), results


def test_default_statement_cache_breaks_behind_a_pooler_without_prepared_statements(
    request: pytest.FixtureRequest,
) -> None:
    """The control: with asyncpg's default prepared-statement cache the same load fails (legacy)."""
    results = run_workers(pooled(request, "legacy"), "off")
    assert sum(r["failed"] for r in results) > 0, results
    assert any("prepared statement" in e for r in results for e in r["errors"]), results


def test_default_statement_cache_works_behind_neons_pooler(
    request: pytest.FixtureRequest, prepared_pgbouncer: PgBouncer
) -> None:
    """The control succeeds with max_prepared_statements: PgBouncer maps each client's named
    statements onto whichever of its few server connections runs the transaction."""
    from tests.conftest import TEST_DB

    results = run_workers(pooled(request, "prepared"), "off")
    assert sum(r["ok"] for r in results) == 200, results
    assert all(r["failed"] == 0 for r in results), results
    # 4 processes with 5 pooled connections each, multiplexed over at most SERVER_POOL_SIZE servers.
    servers = [s for s in prepared_pgbouncer.admin("SHOW SERVERS") if s["database"] == TEST_DB]
    assert 0 < len(servers) <= SERVER_POOL_SIZE, servers


def config_of(bouncer: PgBouncer) -> dict[str, str | None]:
    return {str(row["key"]): row["value"] for row in bouncer.admin("SHOW CONFIG")}


def test_the_pooler_is_neons(prepared_pgbouncer: PgBouncer) -> None:
    """PgBouncer >= 1.21 (its admin console says), transaction mode, max_prepared_statements = 1000."""
    (row,) = prepared_pgbouncer.admin("SHOW VERSION")
    match = re.fullmatch(r"PgBouncer (\d+)\.(\d+)\.(\d+)", row["version"] or "")
    assert match, row
    assert tuple(map(int, match.groups())) >= (1, 21, 0), row
    assert row["version"] == f"PgBouncer {prepared_pgbouncer.version}"
    config = config_of(prepared_pgbouncer)
    assert config["pool_mode"] == "transaction", config
    assert config["max_prepared_statements"] == "1000", config
    assert config["ignore_startup_parameters"] == "extra_float_digits", config


def test_the_legacy_pooler_keeps_no_prepared_statements(legacy_pgbouncer: PgBouncer) -> None:
    config = config_of(legacy_pgbouncer)
    assert config["pool_mode"] == "transaction", config
    assert config["max_prepared_statements"] == "0", config
