"""Section 3 of the report: warm latency and throughput, and where a warm request's time goes."""

# ruff: noqa: RUF001  (the report is typeset: its multiplication signs and dashes are meant)

from __future__ import annotations

from typing import Any

from bench.common import read_result
from bench.report.format import GOALS, Report, at_least, at_most, num, spread, verdict
from bench.report.roundtrips import pooler_line


def rps_line(lat: dict[str, Any], endpoint: str) -> str:
    rps = {
        row["server"]: row["rps"]["median"]
        for row in lat["table"]
        if row["endpoint"] == endpoint and row["connections"] == 32
    }
    return (
        ", ".join(f"{server} {num(value, 0)} req/s" for server, value in rps.items())
        + " at 32 connections: the peer loads ORM entities through its session, the caller and"
        + " the query in two statements; ours has SQLAlchemy compile each statement shape once and"
        + " asyncpg fetch the rows, validated straight into the response model, the caller and the"
        + " query in one statement, as the floor's"
        + " (§3 says where each one's CPU goes)"
    )


def section_latency(r: Report, lat: dict[str, Any], hot: dict[str, Any] | None, command: str) -> None:
    r.add(
        "## 3. Warm latency and throughput",
        "",
        f"`{command}` → `bench/latency.py`. Each server is uvicorn (one worker, uvloop + httptools, "
        "no access log of uvicorn's own; our structured JSON log stays on, to a file) on 127.0.0.1; "
        f"load from `wrk` ({'installed' if lat['table'][0]['tool'] == 'wrk' else 'missing: Python client'}), "
        f"{lat['seconds_per_point']:g} s per point, {lat['rounds']} rounds in shuffled server order. "
        "Floor: bare Starlette route + raw asyncpg pool, same SQL as ours (the caller and the project, "
        "or the page, in one statement), same JWT check. FastAPI peer: FastAPI + SQLAlchemy "
        "AsyncSession, the caller's user row then the query (two statements), same auth work. Pools: "
        "5 connections each. "
        f"Endpoints: `{lat['endpoints']['get']}` and `{lat['endpoints']['list']}` (a full page of 20).",
        "",
    )
    for endpoint in lat["endpoints"]:
        rows = []
        for row in lat["table"]:
            if row["endpoint"] != endpoint:
                continue
            rows.append(
                [
                    row["server"],
                    str(row["connections"]),
                    spread(row["p50_ms"], 2),
                    spread(row["p99_ms"], 1),
                    spread(row["rps"], 0),
                    f"{row['non_2xx']:,} / {row['requests']:,}",
                ]
            )
        r.add(f"**{endpoint}** `{lat['endpoints'][endpoint]}`", "")
        r.table(["server", "connections", "p50 ms", "p99 ms", "requests/s", "non-2xx / requests"], rows)
    ratios = lat["ratios"]
    r.add("Per-round ratios (median, min–max):", "")
    labels = {
        "p50_c1_ours_vs_floor": f"p50 @1 connection, ours / floor (≤{GOALS['p50_vs_floor']:g})",
        "p50_c1_ours_vs_fastapi": "p50 @1 connection, ours / FastAPI",
        "rps_c32_ours_vs_fastapi": f"throughput @32, ours / FastAPI (≥{GOALS['rps_vs_fastapi']:g})",
        "rps_c32_ours_vs_floor": "throughput @32, ours / floor",
        "rps_c32_pgbouncer_vs_direct": (
            f"throughput @32, via PgBouncer / direct (≥{GOALS['pgbouncer_vs_direct']:g})"
        ),
        "rps_c1_pgbouncer_vs_direct": "throughput @1, via PgBouncer / direct",
        "p50_c1_pgbouncer_vs_direct": "p50 @1, via PgBouncer / direct",
    }
    r.table(
        ["ratio", *ratios.keys()],
        [
            [
                label,
                *(
                    spread(ratios[e][key], 2)
                    + (" ⚠ " + ratios[e][key]["invalid"] if ratios[e][key].get("invalid") else "")
                    for e in ratios
                ),
            ]
            for key, label in labels.items()
        ],
    )
    for endpoint, values in ratios.items():
        ok, detail = at_most(values["p50_c1_ours_vs_floor"]["median"], GOALS["p50_vs_floor"])
        why = ""
        if hot:
            name = "GET /api/projects/{id}" if endpoint == "get" else "GET /api/projects?status=in_progress"
            profile = hot["profiles"].get(name)
            if profile:
                top = ", ".join(f"{p['package']} {p['share'] * 100:.0f}%" for p in profile["packages"][:3])
                why = f"in-process {hot['ms_per_request'][name]['median']} ms/request; CPU by package: {top}"
        r.goal(
            f"p50 @1 connection ≤{GOALS['p50_vs_floor']:g}× the floor ({endpoint})", verdict(ok, detail), why
        )
        ok, detail = at_least(values["rps_c32_ours_vs_fastapi"]["median"], GOALS["rps_vs_fastapi"])
        r.goal(
            f"Throughput @32 ≥{GOALS['rps_vs_fastapi']:g}× the FastAPI peer ({endpoint})",
            verdict(ok, detail),
            rps_line(lat, endpoint),
        )
        pg = values["rps_c32_pgbouncer_vs_direct"]
        ok, detail = at_least(pg["median"], GOALS["pgbouncer_vs_direct"])
        ok = ok and not pg.get("invalid")
        r.goal(
            f"Through PgBouncer ≥{GOALS['pgbouncer_vs_direct']:g}× direct ({endpoint}, @32)",
            verdict(ok, detail + (f"; {pg['invalid']}" if pg.get("invalid") else "")),
            pooler_line(read_result("roundtrips"))
            + (
                "; concurrent requests fail: prepare and execute run outside a transaction, so PgBouncer "
                "hands them different server connections (`prepared statement … does not exist`)"
                if pg.get("invalid")
                else ""
            ),
        )
    if hot:
        r.add(
            "### Where a warm request's time goes (in-process, `bench/hotspots.py`)",
            "",
            f"The function's app called in-process (no HTTP server), {hot['blocks']} blocks of "
            f"{hot['requests_per_block']} requests; then one cProfile block per request.",
            "",
        )
        r.table(
            ["request", "ms per request (median of blocks)"],
            [[f"`{k}`", spread(v, 3)] for k, v in hot["ms_per_request"].items()],
        )
        r.add(
            "The pieces of a warm `GET /api/projects/{id}`, each timed alone (µs per call, median of 5 "
            "repeats; the database calls on the same unix socket):",
            "",
        )
        r.table(["piece", "µs per call"], [[k, spread(v, 1)] for k, v in hot.get("micro_us", {}).items()])
        for name, profile in hot["profiles"].items():
            r.add(
                f"**`{name}`**: profiled {num(profile['profiled_us_per_request'], 0)} µs/request; "
                "self time by package:",
                "",
            )
            r.table(
                ["package", "share", "µs / request"],
                [
                    [p["package"], f"{p['share'] * 100:.1f}%", num(p["us_per_request"], 0)]
                    for p in profile["packages"][:10]
                ],
            )
            r.add(
                "Our functions (cumulative; a coroutine's cumulative time counts each resume, "
                "so read it as an upper bound):",
                "",
            )
            r.table(
                ["function", "calls / request", "self µs", "cumulative µs"],
                [
                    [
                        f"`{p['function']}`",
                        num(p["calls_per_request"], 1),
                        num(p["self_us"], 1),
                        num(p["cumulative_us"], 0),
                    ]
                    for p in profile["ours_by_cumulative"][:10]
                ],
            )
