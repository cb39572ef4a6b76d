"""(7) Cost as the data grows: in-process p50 of the main list endpoints at 1/100, 1/10 and all the data."""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from typing import Any
from urllib.parse import urlsplit

from bench.common import (
    log_path,
    progress,
    quick,
    ratio,
    reps,
    scale,
    server_url,
    summary,
    token_for,
    use_app_env,
    write_result,
)

# Fractions of the main data set (full: 1/100, 1/10, all of it; quick: the same of the 1/20 set).
FRACTIONS = (0.01, 0.1, 1.0)
# Which function serves each request, and who asks. User id 2 is the most active user at every scale
# (bench/datagen ranks ids 2..n-1 by Zipf weight), so each scale's requests come from its own top user:
# the same rank, but more rows behind them as the data grows. The admin is id 1 everywhere.
CASES: dict[str, tuple[str, str, str]] = {
    "GET /api/projects (own list, top user)": ("api.projects", "/api/projects", "power_id"),
    "GET /api/orders (own list, top user)": ("api.orders", "/api/orders", "power_id"),
    "GET /api/activity (own list, top user)": ("api.activity", "/api/activity", "power_id"),
    "GET /api/activity (admin: everyone's)": ("api.activity", "/api/activity", "admin_id"),
    "GET /api/users?limit=20 (admin)": ("api.users", "/api/users?limit=20", "admin_id"),
    "GET /api/notifications (own list, top user)": ("api.notifications", "/api/notifications", "power_id"),
}


async def notifications_of(url: str, user_id: int) -> int:
    """The notifications bench/datagen left the user (none today: it does not generate that table)."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM notifications WHERE user_id = $1", user_id))
    finally:
        await conn.close()


async def measure(dataset: dict[str, Any], name: str, n: int) -> dict[str, Any]:
    """p50 of `n` in-process requests after 20 warm ones, and the rows of the page answered."""
    import importlib

    from bench.asgi import call
    from lib.core.db import dispose_engine

    module, url, who = CASES[name]
    app = importlib.import_module(module).app
    token = token_for(dataset[who])
    try:
        for _ in range(20):
            await call(app, "GET", url, token=token)
        times = []
        status, body = 0, b""
        for _ in range(n):
            started = time.perf_counter()
            status, body = await call(app, "GET", url, token=token)
            times.append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise RuntimeError(f"{name} answered {status}: {body[:300]!r}")
    finally:
        await dispose_engine()
    return {"p50_ms": statistics.median(times), "rows": len(json.loads(body)["items"])}


def at_scale(url: str, dataset: dict[str, Any], name: str, n: int) -> dict[str, Any]:
    """One block against one scale's database: a fresh event loop gets a fresh engine on `url`."""
    from lib.core.config import get_settings

    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    return asyncio.run(measure(dataset, name, n))


def main() -> int:
    from bench.run import prepare_dataset

    base = server_url()
    sets: dict[float, tuple[str, dict[str, Any]]] = {}
    for fraction in FRACTIONS:
        # Cached like the main set: generated once, skipped while present and young.
        regenerate = fraction < 1 and os.environ.get("BENCH_REGENERATE") == "1"
        url, dataset, _generated = prepare_dataset(base, factor=scale() * fraction, regenerate=regenerate)
        sets[fraction] = (url, dataset)
    cases = [
        name
        for name, (module, _url, who) in CASES.items()
        if module != "api.notifications"
        or all(asyncio.run(notifications_of(url, d[who])) for url, d in sets.values())
    ]
    skipped = [name for name in CASES if name not in cases]
    n, rounds = reps(300, 100), reps(5, 3)
    progress(f"{len(cases)} requests at {len(sets)} scales: {rounds} rounds of {n} requests each")
    # One process, one event loop (so one engine) per block: each request runs at the three scales
    # back to back in shuffled order, so a busy moment of this shared machine skews all three alike.
    use_app_env(sets[FRACTIONS[-1]][0])
    real_stderr = sys.stderr
    sys.stderr = open(log_path("scaling"), "a")  # noqa: SIM115  (the structured logs, as Vercel keeps them)
    samples: dict[float, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    shuffler = random.Random(5)
    try:
        for round_no in range(rounds):
            progress(f"round {round_no + 1}/{rounds}")
            for name in cases:
                order = list(sets)
                shuffler.shuffle(order)
                for fraction in order:
                    url, dataset = sets[fraction]
                    samples[fraction][name].append(at_scale(url, dataset, name, n))
    finally:
        sys.stderr.close()
        sys.stderr = real_stderr

    smallest, largest = min(FRACTIONS), max(FRACTIONS)
    table: dict[str, Any] = {}
    for name in cases:
        table[name] = {
            "scales": {
                f"{fraction:g}": {
                    "p50_ms": summary((r["p50_ms"] for r in samples[fraction][name]), 3),
                    "rows": samples[fraction][name][0]["rows"],
                }
                for fraction in FRACTIONS
            },
            # Per round: the same round's full and 1/100 runs, so a noisy moment skews both.
            "largest_vs_smallest": summary(
                (
                    big["p50_ms"] / small["p50_ms"]
                    for big, small in zip(samples[largest][name], samples[smallest][name], strict=True)
                ),
                2,
            ),
        }
    write_result(
        "scaling",
        {
            "quick": quick(),
            "fractions": list(FRACTIONS),
            "rounds": rounds,
            "requests_per_round": n,
            "datasets": {
                f"{fraction:g}": {
                    "scale": dataset["scale"],
                    "database": urlsplit(url).path.lstrip("/"),
                    "counts": dataset["counts"],
                    "power_rows": dataset.get("power_rows", {}),
                    "generated_at": dataset["generated_at"],
                    "seconds": dataset.get("seconds"),
                }
                for fraction, (url, dataset) in sets.items()
            },
            "table": table,
            "skipped": {name: "bench/datagen generates no notifications" for name in skipped},
        },
    )
    for name, row in table.items():
        p50 = [row["scales"][f"{f:g}"]["p50_ms"]["median"] for f in FRACTIONS]
        progress(
            f"{name}: p50 {' / '.join(f'{v:.2f}' for v in p50)} ms; "
            f"{largest:g}/{smallest:g} {row['largest_vs_smallest']['median']}x "
            f"(of medians {ratio(p50[-1], p50[0])}x)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
