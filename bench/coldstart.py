"""(1) Cold start of every function vs the floor and the FastAPI peer, and where the import time goes."""

from __future__ import annotations

import json
import pstats
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.common import (
    CRON_SECRET,
    PYTHON,
    ROOT,
    app_env,
    database_url,
    meta,
    progress,
    ratio,
    reps,
    summary,
    token_for,
    write_result,
)
from bench.importtime import import_breakdown, parse_importtime
from lib.web.functions import function_files

CHILD = str(ROOT / "bench" / "coldstart_child.py")


def requests(data: dict[str, Any]) -> dict[str, tuple[str, str, str | None]]:
    """The real request each function file is cold-started with: method, URL, bearer token."""
    power, admin = token_for(data["power_id"]), token_for(data["admin_id"])
    return {
        "api/projects.py": ("GET", f"/api/projects/{data['power_project_id']}", power),
        "api/health.py": ("GET", "/api/health", None),
        "api/auth.py": ("GET", "/api/auth/me", power),
        "api/plans.py": ("GET", "/api/plans", None),
        "api/services.py": ("GET", "/api/services", None),
        "api/orders.py": ("GET", "/api/orders?status=paid", power),
        "api/synopsis.py": ("GET", "/api/synopsis", power),
        "api/meetings.py": ("GET", "/api/meetings", power),
        "api/admin_requests.py": ("GET", "/api/admin-requests", power),
        "api/chatbot.py": ("GET", "/api/chatbot/sessions", power),
        "api/ideas.py": ("GET", "/api/ideas", power),
        "api/activity.py": ("GET", "/api/activity", power),
        "api/stats.py": ("GET", "/api/admin/stats/recent-ideas", admin),
        "api/openapi.py": ("GET", "/api/openapi.json", None),
        "api/users.py": ("GET", "/api/users?limit=20", admin),
        "api/notifications.py": ("GET", "/api/notifications/unread-count", power),
        # No provider configured here: the webhook answers 404 after the function loaded and routed.
        "api/payments.py": ("POST", "/api/payments/razorpay/webhook", None),
        "api/files.py": ("GET", "/api/files", power),
        # ACTIVITY_RETENTION_DAYS is set so high below that the cron moves nothing.
        "api/cron/archive.py": ("GET", "/api/cron/archive?max_seconds=5", CRON_SECRET),
    }


def run_child(
    argv: list[str], env: dict[str, str], extra_args: list[str] | None = None
) -> tuple[dict[str, Any], str]:
    """Spawn one cold process; return its timings (ms, from spawn) and its stderr."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    spawned = time.time()
    process = subprocess.run(
        [PYTHON, *(extra_args or []), CHILD, *argv], env=env, cwd=ROOT, capture_output=True, text=True
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0 or not process.stdout.strip():
        raise RuntimeError(f"cold start of {argv[:2]} failed: {process.stderr[-2000:]}")
    out = json.loads(process.stdout.strip().splitlines()[-1])
    timings = {
        "total_ms": (out["done"] - spawned) * 1000,
        "interpreter_ms": (out["started"] - spawned) * 1000,
        "import_ms": (out["imported"] - out["started"]) * 1000,
        "request_ms": (out["done"] - out["imported"]) * 1000,
        "status": out["status"],
        "rss_mib": out["rss_kib"] / 1024,
        # The child's own CPU (user + system; children run one at a time): less swayed than the wall
        # time by the other processes of a shared machine.
        "cpu_ms": (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000,
    }
    return timings, process.stderr


def profile_first_request(argv: list[str], env: dict[str, str]) -> list[dict[str, Any]]:
    """cProfile one cold start; our functions (lib/, api/) by cumulative time."""
    with tempfile.NamedTemporaryFile(suffix=".prof", delete=False) as handle:
        path = handle.name
    run_child(argv, dict(env, BENCH_PROFILE=path))
    stats = pstats.Stats(path)
    rows = []
    for (filename, line, function), (_cc, calls, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        rel = filename.replace(str(ROOT) + "/", "")
        if rel.startswith(("lib/", "api/")):
            rows.append(
                {
                    "function": f"{rel}:{line}({function})",
                    "calls": calls,
                    "self_ms": round(tottime * 1000, 2),
                    "cumulative_ms": round(cumtime * 1000, 2),
                }
            )
    Path(path).unlink(missing_ok=True)
    return sorted(rows, key=lambda r: -r["cumulative_ms"])[:25]


def main() -> int:
    data = meta()
    url = database_url()
    env = app_env(url, ACTIVITY_RETENTION_DAYS="36500")
    reqs = requests(data)
    power = data["power_id"]
    project_argv = ["asgi", "api/projects.py", *reqs["api/projects.py"][:2], reqs["api/projects.py"][2] or ""]
    variants: dict[str, list[str]] = {
        "floor": ["floor", "bench.floor", "GET", f"{data['power_project_id']},{power}", ""],
        "ours: api/projects.py": project_argv,
        "fastapi peer": [
            "asgi",
            "bench.peers.fastapi_app",
            "GET",
            f"/api/projects/{data['power_project_id']}",
            token_for(power),
        ],
    }
    files = sorted(str(path.relative_to(ROOT)) for path in function_files())
    others = {f: ["asgi", f, reqs[f][0], reqs[f][1], reqs[f][2] or ""] for f in files if f in reqs}
    unmeasured = [f for f in files if f not in reqs]

    progress("warming bytecode caches (one discarded start each)")
    for argv in [*variants.values(), *others.values()]:
        run_child(argv, env)

    rounds = reps(11, 3)
    progress(f"floor / ours / FastAPI peer: {rounds} interleaved rounds")
    samples: dict[str, list[dict[str, Any]]] = defaultdict(list)
    shuffler = random.Random(7)
    for _ in range(rounds):
        order = list(variants)
        shuffler.shuffle(order)
        for name in order:
            timings, _ = run_child(variants[name], env)
            samples[name].append(timings)

    function_rounds = reps(5, 2)
    progress(f"every function: {function_rounds} rounds of {len(others)} functions")
    function_samples: dict[str, list[dict[str, Any]]] = defaultdict(list)
    floor_again: list[dict[str, Any]] = []
    for _ in range(function_rounds):
        floor_again.append(run_child(variants["floor"], env)[0])
        order = list(others)
        shuffler.shuffle(order)
        for name in order:
            function_samples[name].append(run_child(others[name], env)[0])

    def describe(runs: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            key: summary((r[key] for r in runs), 1)
            for key in ("total_ms", "interpreter_ms", "import_ms", "request_ms", "rss_mib", "cpu_ms")
        } | {"statuses": sorted({r["status"] for r in runs})}

    main_table = {name: describe(runs) for name, runs in samples.items()}
    floor_ms = main_table["floor"]["total_ms"]["median"]
    fastapi_ms = main_table["fastapi peer"]["total_ms"]["median"]
    ours_ms = main_table["ours: api/projects.py"]["total_ms"]["median"]
    floor_functions = describe(floor_again)["total_ms"]["median"]
    functions = {
        name: describe(runs) | {"vs_floor": ratio(describe(runs)["total_ms"]["median"], floor_functions)}
        for name, runs in function_samples.items()
    }

    progress(f"python -X importtime ({reps(5, 3)} runs each)")
    importtime: dict[str, Any] = {}
    for name, argv in variants.items():
        runs = [parse_importtime(run_child(argv, env, ["-X", "importtime"])[1]) for _ in range(reps(5, 3))]
        importtime[name] = import_breakdown(runs)
    progress("cProfile of one cold start of api/projects.py")
    profile = profile_first_request(project_argv, env)

    write_result(
        "coldstart",
        {
            "rounds": rounds,
            "function_rounds": function_rounds,
            "main": main_table,
            "ratios": {
                "ours_vs_floor": ratio(ours_ms, floor_ms),
                "ours_vs_fastapi": ratio(ours_ms, fastapi_ms),
                "fastapi_vs_floor": ratio(fastapi_ms, floor_ms),
            },
            "per_round_ratios": {
                "ours_vs_floor": summary(
                    (
                        o["total_ms"] / f["total_ms"]
                        for o, f in zip(samples["ours: api/projects.py"], samples["floor"], strict=True)
                    ),
                    2,
                ),
                "ours_vs_fastapi": summary(
                    (
                        o["total_ms"] / f["total_ms"]
                        for o, f in zip(
                            samples["ours: api/projects.py"], samples["fastapi peer"], strict=True
                        )
                    ),
                    2,
                ),
            },
            "floor_during_functions": describe(floor_again),
            "functions": functions,
            "unmeasured_functions": unmeasured,
            "requests": {f: f"{m} {u}" for f, (m, u, _t) in reqs.items()},
            "importtime": importtime,
            "first_request_profile": profile,
        },
    )
    progress(
        f"cold start medians: floor {floor_ms} ms, ours {ours_ms} ms, FastAPI {fastapi_ms} ms "
        f"(ours/floor {ratio(ours_ms, floor_ms)}, ours/FastAPI {ratio(ours_ms, fastapi_ms)})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
