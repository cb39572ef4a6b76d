"""(5) Activity-logging overhead on a write: POST /api/projects with and without the activity row."""

from __future__ import annotations

import asyncio
import importlib
import statistics
import sys
import time
from typing import Any

from bench.common import (
    database_url,
    db_name,
    log_path,
    meta,
    progress,
    remove_writes,
    reps,
    summary,
    token_for,
    use_app_env,
    write_result,
)


async def no_activity(*args: Any, **kwargs: Any) -> None:
    """Stands in for lib.core.activity.log_activity: no row, no statement."""


async def run(data: dict[str, Any]) -> dict[str, Any]:
    from bench.asgi import call

    real_stderr = sys.stderr
    sys.stderr = open(log_path("activity_overhead"), "a")  # noqa: SIM115
    try:
        projects = importlib.import_module("api.projects")
        activity = importlib.import_module("lib.core.activity")
    finally:
        sys.stderr = real_stderr
    original = activity.log_activity
    token = token_for(data["writer_id"])
    body = {
        "title": "Overhead project",
        "description": "Activity on/off",
        "category": "iot",
        "tech_stack": ["go"],
    }

    async def block(n: int) -> list[float]:
        out = []
        for _ in range(n):
            started = time.perf_counter()
            status, _ = await call(projects.app, "POST", "/api/projects", token=token, body=body)
            out.append((time.perf_counter() - started) * 1000)
            if status != 201:
                raise RuntimeError(f"POST /api/projects answered {status}")
        return out

    n, rounds = reps(100, 30), reps(8, 3)
    await block(20)
    activity.log_activity = no_activity
    await block(20)
    activity.log_activity = original

    async def rounds_of(count: int) -> tuple[list[float], list[float], list[float]]:
        with_rows: list[float] = []
        without_rows: list[float] = []
        ratios: list[float] = []
        for _ in range(count):
            a = await block(n)
            activity.log_activity = no_activity
            try:
                b = await block(n)
            finally:
                activity.log_activity = original
            with_rows += a
            without_rows += b
            ratios.append(statistics.median(a) / statistics.median(b))
        return with_rows, without_rows, ratios

    from lib.core.db import dispose_engine

    progress(f"{rounds} rounds of {n} POSTs with, then {n} without, the activity row")
    with_rows, without_rows, ratios = await rounds_of(rounds)
    # What the extra commit's WAL flush costs: the same with synchronous_commit off (new connections).
    progress("again with synchronous_commit = off (how much of it is the second commit's WAL flush)")
    await set_synchronous_commit(database_url(), False)
    await dispose_engine()
    try:
        async_with, async_without, async_ratios = await rounds_of(max(2, rounds // 2))
    finally:
        await set_synchronous_commit(database_url(), True)
        await dispose_engine()
    return {
        "async_commit": {
            "with_activity_ms": round(statistics.median(async_with), 3),
            "without_activity_ms": round(statistics.median(async_without), 3),
            "ratio": summary(async_ratios, 3),
            "overhead_ms": round(statistics.median(async_with) - statistics.median(async_without), 3),
        },
        "requests_per_block": n,
        "rounds": rounds,
        "with_activity_ms": summary(
            (statistics.median(with_rows[i : i + n]) for i in range(0, len(with_rows), n)), 3
        ),
        "without_activity_ms": summary(
            (statistics.median(without_rows[i : i + n]) for i in range(0, len(without_rows), n)), 3
        ),
        "p99_with_ms": round(sorted(with_rows)[int(len(with_rows) * 0.99) - 1], 3),
        "p99_without_ms": round(sorted(without_rows)[int(len(without_rows) * 0.99) - 1], 3),
        "ratio": summary(ratios, 3),
        "overhead_ms": round(statistics.median(with_rows) - statistics.median(without_rows), 3),
        "patched": "lib.core.activity.log_activity",
    }


async def set_synchronous_commit(url: str, on: bool) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        name = db_name()
        if on:
            await conn.execute(f'ALTER DATABASE "{name}" RESET synchronous_commit')
        else:
            await conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    finally:
        await conn.close()


def main() -> int:
    data = meta()
    url = database_url()
    use_app_env(url)
    try:
        result = asyncio.run(run(data))
    finally:
        asyncio.run(remove_writes(url, data["writer_id"]))
    write_result("activity_overhead", result)
    progress(
        f"POST /api/projects: {result['with_activity_ms']['median']} ms with the activity row, "
        f"{result['without_activity_ms']['median']} ms without (ratio {result['ratio']['median']})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
