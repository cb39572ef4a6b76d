"""Fill the bench database to production-like volume with COPY (skewed users), showing progress."""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import time
from datetime import UTC, datetime
from typing import Any

from bench.common import progress, roll_up_reports, scale, use_app_env
from bench.datagen.draws import FULL_COUNTS
from bench.datagen.indexes import finish, prepare
from bench.datagen.load import load_tables
from bench.datagen.samples import samples, save_meta


def generate(url: str, factor: float) -> dict[str, Any]:
    """Generate the whole data set into the (migrated, empty) database at `url`."""
    from argon2 import PasswordHasher

    started = time.monotonic()
    counts = {table: max(10, int(n * factor)) for table, n in FULL_COUNTS.items()}
    now = time.time()
    password_hash = PasswordHasher().hash("bench-password")
    indexes = asyncio.run(prepare(url))
    progress(f"dropped {len(indexes)} secondary indexes; loading {sum(counts.values()):,} rows with COPY")
    groups = [
        ["activity_logs"],
        [
            "users",
            "plans",
            "services",
            "projects",
            "orders",
            "synopsis",
            "meetings",
            "admin_requests",
            "user_services",
            "idea_generation_history",
            "chatbot_history",
        ],
    ]
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=load_tables, args=(url, g, counts, now, password_hash)) for g in groups]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
        if worker.exitcode != 0:
            raise SystemExit(f"a data generator failed (exit {worker.exitcode})")
    loaded = time.monotonic() - started
    progress(f"rows loaded in {loaded:.1f}s")
    asyncio.run(finish(url, indexes))
    # The data set as production holds it: every complete day rolled up by the nightly cron. Else the
    # first measurement to run the cron (a cold start of api/cron/archive.py) would do that work.
    use_app_env(url, LOG_LEVEL="warning")
    rollups = asyncio.run(roll_up_reports())
    progress(f"rolled up {rollups['rolled_days']} report days in {rollups['seconds']:.1f}s (the cron's step)")
    dataset: dict[str, Any] = {
        "scale": factor,
        "counts": counts,
        "generated_at": datetime.now(UTC).isoformat(),
        "generated_epoch": now,
        "load_seconds": round(loaded, 1),
        "rollup_seconds": round(rollups["seconds"], 1),
    }
    dataset.update(asyncio.run(samples(url, counts)))
    dataset["seconds"] = round(time.monotonic() - started, 1)
    asyncio.run(save_meta(url, dataset))
    progress(f"data set ready in {dataset['seconds']:.0f}s")
    return dataset


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.datagen", description=__doc__)
    parser.add_argument("--url", required=True, help="the migrated, empty bench database")
    parser.add_argument("--scale", type=float, default=scale())
    args = parser.parse_args()
    generate(args.url, args.scale)
    return 0


if __name__ == "__main__":
    sys.exit(main())
