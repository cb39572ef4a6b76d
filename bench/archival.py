"""(6) Archival: move old activity rows with lib/core/archive.py while POST /api/projects keeps writing."""

from __future__ import annotations

import asyncio
import math
import sys
import time
from typing import Any

from bench.common import (
    app_env,
    database_url,
    db_name,
    log_path,
    meta,
    percentile,
    progress,
    reps,
    server_url,
    summary,
    token_for,
    use_app_env,
    uvicorn_server,
    write_result,
)
from bench.loadgen import open_loop, request_bytes

RATE = 50.0  # POST /api/projects per second, open loop
BASELINE_SECONDS = 5.0
DAYS = 90
BATCH = 5000  # the cron endpoint's default batch size


async def clone_database(base: str, source: str, clone: str) -> float:
    import asyncpg

    conn = await asyncpg.connect(base)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{clone}" WITH (FORCE)')
        started = time.monotonic()
        await conn.execute(f'CREATE DATABASE "{clone}" TEMPLATE "{source}" STRATEGY = FILE_COPY')
        return time.monotonic() - started
    finally:
        await conn.close()


async def drop_database(base: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(base)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def latency_summary(samples: list[tuple[float, float, int]]) -> dict[str, Any]:
    ok = [ms for _, ms, status in samples if status == 201 and not math.isnan(ms)]
    return {
        "requests": len(samples),
        "ok": len(ok),
        "failed": sum(1 for _, _, status in samples if status != 201),
        "p50_ms": round(percentile(ok, 0.5), 2) if ok else None,
        "p99_ms": round(percentile(ok, 0.99), 2) if ok else None,
        "max_ms": round(max(ok), 2) if ok else None,
    }


async def one_run(port: int, token: str) -> dict[str, Any]:
    from lib.core.archive import archive_older_than
    from lib.core.db import dispose_engine
    from lib.models.activity_logs import ActivityLog, ActivityLogArchive

    body = {
        "title": "Written during archival",
        "description": "p99",
        "category": "iot",
        "tech_stack": ["rust"],
    }

    def make() -> bytes:
        return request_bytes("POST", "/api/projects", token, body)

    stop = asyncio.Event()
    await open_loop(port, make, RATE, stop, 2.0)  # warm-up: the server's pool opens its connections
    baseline = await open_loop(port, make, RATE, stop, BASELINE_SECONDS)
    load = asyncio.ensure_future(open_loop(port, make, RATE, stop, 600))
    started = time.monotonic()
    result = await archive_older_than(
        ActivityLog, ActivityLogArchive, days=DAYS, batch_size=BATCH, deadline=time.monotonic() + 540
    )
    seconds = time.monotonic() - started
    stop.set()
    during = await load
    await dispose_engine()
    return {
        "moved": result.moved,
        "remaining": result.remaining,
        "batches": result.batches,
        "seconds": round(seconds, 2),
        "rows_per_second": round(result.moved / seconds) if seconds else None,
        "baseline": latency_summary(baseline),
        "during": latency_summary(during),
    }


def main() -> int:
    data = meta()
    base, source = server_url(), db_name()
    clone = f"{source}_archive"
    clone_url = database_url().replace(f"/{source}?", f"/{clone}?")
    token = token_for(data["writer_id"])
    use_app_env(clone_url, LOG_LEVEL="warning")
    runs = []
    for number in range(reps(2, 2)):
        progress(f"run {number + 1}: cloning {source} into {clone}")
        clone_seconds = asyncio.run(clone_database(base, source, clone))
        try:
            with uvicorn_server("archival-ours", "api.projects:app", app_env(clone_url)) as port:
                progress(
                    f"  POST /api/projects at {RATE:g}/s: {BASELINE_SECONDS:g}s baseline, then while "
                    f"archive_older_than(days={DAYS}, batch_size={BATCH}) runs"
                )
                real_stderr = sys.stderr
                sys.stderr = open(log_path("archival"), "a")  # noqa: SIM115
                try:
                    run = asyncio.run(one_run(port, token))
                finally:
                    sys.stderr = real_stderr
        finally:
            asyncio.run(drop_database(base, clone))
        run["clone_seconds"] = round(clone_seconds, 1)
        runs.append(run)
        progress(
            f"  moved {run['moved']:,} rows in {run['seconds']}s ({run['rows_per_second']:,} rows/s, "
            f"{run['batches']} batches); POST p99 {run['baseline']['p99_ms']} ms before, "
            f"{run['during']['p99_ms']} ms during"
        )
    write_result(
        "archival",
        {
            "runs": runs,
            "days": DAYS,
            "batch_size": BATCH,
            "rate_per_second": RATE,
            "old_rows": data["activity_older_than_90_days"],
            "seconds": summary((r["seconds"] for r in runs), 2),
            "rows_per_second": summary((r["rows_per_second"] for r in runs), 0),
            "baseline_p99_ms": summary((r["baseline"]["p99_ms"] for r in runs), 2),
            "during_p99_ms": summary((r["during"]["p99_ms"] for r in runs), 2),
            "baseline_p50_ms": summary((r["baseline"]["p50_ms"] for r in runs), 2),
            "during_p50_ms": summary((r["during"]["p50_ms"] for r in runs), 2),
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
