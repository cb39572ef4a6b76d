"""(3) Warm latency and throughput under uvicorn: ours vs the floor vs the FastAPI peer, and via PgBouncer."""

from __future__ import annotations

import random
import sys
from contextlib import ExitStack
from typing import Any

from bench.common import (
    app_env,
    database_url,
    db_name,
    meta,
    progress,
    quick,
    reps,
    server_url,
    summary,
    token_for,
    uvicorn_server,
    write_result,
)
from bench.loadgen import measure

CONNECTIONS = (1, 32)


def main() -> int:
    data = meta()
    url = database_url()
    from devkit.pgbouncer import PgBouncer, PgBouncerMissing

    token = token_for(data["power_id"])
    endpoints = {
        "get": f"/api/projects/{data['power_project_id']}",
        "list": "/api/projects?status=in_progress",
    }
    seconds = 2.0 if quick() else 3.0
    rounds = reps(3, 1)
    env = app_env(url)
    servers: dict[str, tuple[str, dict[str, str], bool]] = {
        "floor": ("bench.floor:create_app", env, True),
        "ours": ("api.projects:app", env, False),
        "fastapi": ("bench.peers.fastapi_app:app", env, False),
    }
    bouncer = None
    try:
        bouncer = PgBouncer(server_url())
        servers["ours via pgbouncer"] = (
            "api.projects:app",
            # Over PgBouncer's unix socket: "ours" reaches PostgreSQL over one too, so the ratio
            # is PgBouncer's hop, not loopback TCP against a unix socket.
            app_env(bouncer.socket_url(db_name()), DB_POOLER="prepared"),
            False,
        )
    except PgBouncerMissing as missing:
        progress(f"PgBouncer skipped: {missing}")

    samples: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    try:
        with ExitStack() as stack:
            ports = {
                name: stack.enter_context(
                    uvicorn_server(f"latency-{name.replace(' ', '-')}", target, e, factory=f)
                )
                for name, (target, e, f) in servers.items()
            }
            progress(f"warming {len(ports)} servers")
            for name, port in ports.items():
                for path in endpoints.values():
                    check = measure(port, path, token, 32, 1.0)
                    if check["non_2xx"] or not check["requests"]:
                        progress(
                            f"  {name} answers {path} with errors: {check['non_2xx']}/{check['requests']}"
                        )
            shuffler = random.Random(11)
            for round_no in range(rounds):
                order = list(ports)
                shuffler.shuffle(order)
                progress(f"round {round_no + 1}/{rounds}: {', '.join(order)} ({seconds:g}s per point)")
                for name in order:
                    for endpoint, path in endpoints.items():
                        for connections in CONNECTIONS:
                            point = measure(ports[name], path, token, connections, seconds)
                            samples.setdefault((name, endpoint, connections), []).append(point)
    finally:
        if bouncer is not None:
            bouncer.stop()

    table: list[dict[str, Any]] = []
    for (name, endpoint, connections), points in samples.items():
        table.append(
            {
                "server": name,
                "endpoint": endpoint,
                "connections": connections,
                "p50_ms": summary((p["p50_ms"] for p in points), 3),
                "p99_ms": summary((p["p99_ms"] for p in points), 3),
                "rps": summary((p["rps"] for p in points), 0),
                "non_2xx": sum(p["non_2xx"] for p in points),
                "requests": sum(p["requests"] for p in points),
                "tool": points[0]["tool"],
            }
        )

    def per_round(a: str, b: str, endpoint: str, connections: int, key: str) -> dict[str, Any]:
        left, right = samples.get((a, endpoint, connections)), samples.get((b, endpoint, connections))
        if not left or not right:
            return summary([])
        result = summary((x[key] / y[key] for x, y in zip(left, right, strict=True) if x[key] and y[key]), 2)
        errors = sum(p["non_2xx"] for p in left + right)
        if errors:
            result["invalid"] = f"{errors} non-2xx responses"
        return result

    ratios: dict[str, Any] = {}
    for endpoint in endpoints:
        ratios[endpoint] = {
            "p50_c1_ours_vs_floor": per_round("ours", "floor", endpoint, 1, "p50_ms"),
            "p50_c1_ours_vs_fastapi": per_round("ours", "fastapi", endpoint, 1, "p50_ms"),
            "rps_c32_ours_vs_fastapi": per_round("ours", "fastapi", endpoint, 32, "rps"),
            "rps_c32_ours_vs_floor": per_round("ours", "floor", endpoint, 32, "rps"),
            "rps_c32_pgbouncer_vs_direct": per_round("ours via pgbouncer", "ours", endpoint, 32, "rps"),
            "rps_c1_pgbouncer_vs_direct": per_round("ours via pgbouncer", "ours", endpoint, 1, "rps"),
            "p50_c1_pgbouncer_vs_direct": per_round("ours via pgbouncer", "ours", endpoint, 1, "p50_ms"),
        }
    write_result(
        "latency",
        {
            "rounds": rounds,
            "seconds_per_point": seconds,
            "endpoints": endpoints,
            "table": table,
            "ratios": ratios,
        },
    )
    for endpoint, values in ratios.items():
        progress(
            f"{endpoint}: p50@1 ours/floor {values['p50_c1_ours_vs_floor']['median']}, "
            f"rps@32 ours/FastAPI {values['rps_c32_ours_vs_fastapi']['median']}, "
            f"rps@32 pgbouncer/direct {values['rps_c32_pgbouncer_vs_direct']['median']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
