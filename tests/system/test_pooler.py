"""Behind a transaction-mode pooler (Neon's PgBouncer): concurrent queries from fresh processes succeed."""

from __future__ import annotations

import json
import subprocess

import pytest

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


def run_workers(url: str, pooler_mode: str, processes: int = 4) -> list[dict]:
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


@pytest.fixture
def pooled_url(pgbouncer, database_url: str) -> str:
    from tests.conftest import TEST_DB

    return pgbouncer.url(TEST_DB)


def test_200_concurrent_queries_from_fresh_processes_all_succeed(pooled_url: str) -> None:
    results = run_workers(pooled_url, "on")
    assert sum(r["ok"] for r in results) == 200, results
    assert all(r["failed"] == 0 for r in results), results


def test_default_statement_cache_breaks_behind_the_pooler(pooled_url: str) -> None:
    """The control: with asyncpg's default prepared-statement cache the same load fails."""
    results = run_workers(pooled_url, "off")
    assert sum(r["failed"] for r in results) > 0, results
    assert any("prepared statement" in e for r in results for e in r["errors"]), results
