"""Section 2 of the report: round trips per request, statement by statement."""

# ruff: noqa: RUF001  (the report is typeset: its multiplication signs and dashes are meant)

from __future__ import annotations

import re
from typing import Any

from bench.report.format import GOALS, Report, verdict


def brief(flight: str) -> str:
    """A round trip in a few words: `prepare SELECT projects`, `execute auth user lookup`, `BEGIN`."""
    kinds, _, sql = flight.partition(": ")
    if sql.strip() == ";":
        return "the ping `;`" if "Bind" in kinds else "prepare the ping `;`"
    sql = sql.rstrip(";")
    if kinds.startswith("Close"):
        return "close a prepared statement"
    if sql.startswith("SELECT users.id"):  # the ORM's labelled select (writes) or the Core one (reads)
        # A GET of one row reads it in the same statement (`users LEFT OUTER JOIN <table>`).
        joined = re.search(r"FROM users LEFT OUTER JOIN (\w+)", sql)
        target = f"auth user lookup + SELECT {joined.group(1)}" if joined else "auth user lookup"
    elif match := re.match(r"(INSERT INTO|UPDATE|DELETE FROM) (\w+)", sql):
        target = f"{match.group(1).split()[0]} {match.group(2)}"
    elif match := re.match(r"SELECT .*? FROM (\w+)", sql):
        target = f"SELECT {match.group(1)}"
    else:
        target = sql.split(" (closes")[0][:40] or kinds
    if kinds == "Query":
        return target
    if "Parse" in kinds and "Bind" not in kinds:
        return f"prepare {target}"
    return target


def section_roundtrips(r: Report, rt: dict[str, Any], command: str) -> None:
    modes = rt["modes"]
    r.add(
        "## 2. Round trips per request",
        "",
        f"`{command}` → `bench/roundtrips.py`. The function's app runs in-process; its database URL points "
        "at `devkit/wire.py`, a proxy in front of the server that records every protocol message the "
        "client sends. A round trip is a group of messages after which the client waits for the "
        "server (counted from the direction changes on the wire). Cross-check: the server's own log "
        "(`log_min_duration_statement=0` on the bench database during this step) lists the same "
        "statements. Warm = the same pooled connection already served this request twice "
        "(statements prepared); idle = the connection sat longer than `DB_IDLE_PING_SECONDS`.",
        "",
    )
    names = {
        "cold_get": "first request of a fresh process: `GET /api/projects/{id}`",
        "warm_get": "warm authenticated `GET /api/projects/{id}`",
        "list_get": "warm `GET /api/projects?status=in_progress`",
        "post": "warm `POST /api/projects` (+ its activity row)",
        "idle_get": "`GET /api/projects/{id}` after the connection idled",
    }
    header = ["request", *(f"{m} round trips" for m in modes)]
    rows = []
    for key, label in names.items():
        cells = [label]
        for mode in modes.values():
            case = mode.get(key) if isinstance(mode, dict) else None
            cells.append(str(case["round_trips"]) if case else "–")
        rows.append(cells)
    r.table(header, rows)
    for mode_name, mode in modes.items():
        if "skipped" in mode:
            r.add(f"{mode_name}: skipped ({mode['skipped']}).", "")
            continue
        label = (
            "direct"
            if mode_name == "direct"
            else "through PgBouncer ≥ 1.21 (transaction mode, prepared statements, `DB_POOLER=prepared`)"
        )
        r.add(f"### Statement by statement, {label}", "")
        for key, title in names.items():
            case = mode.get(key)
            if not case:
                continue
            r.add(f"**{title}** — {case['round_trips']} round trips, HTTP {case['status']}:", "")
            for index, flight in enumerate(case["flights"], 1):
                r.add(f"{index}. `{flight}`")
            executed = [s for s in case["server"] if not s.startswith(("parse", "bind"))]
            r.add(
                "",
                f"Server log: {len(executed)} statements executed "
                f"({len(case['server'])} protocol steps logged).",
                "",
            )
    direct = modes.get("direct", {})
    pooled = modes.get("pgbouncer", {})
    for key, goal_name, target in (
        ("warm_get", "Warm authenticated GET: 1 round trip", GOALS["warm_get_rt"]),
        ("post", "A write (POST /api/projects + activity row): ≤3 round trips", GOALS["write_rt"]),
    ):
        got = direct.get(key, {}).get("round_trips")
        pooled_got = pooled.get(key, {}).get("round_trips") if "skipped" not in pooled else None
        ok = got is not None and got <= target
        why = ", ".join(brief(f) for f in direct.get(key, {}).get("flights", []))
        if pooled_got is not None:
            pooled_flights = pooled.get(key, {}).get("flights", [])
            why += "; through PgBouncer: " + ", ".join(brief(f) for f in pooled_flights)
        r.goal(
            goal_name,
            verdict(ok, f"{got} direct, {pooled_got if pooled_got is not None else '–'} through PgBouncer"),
            f"direct: {why}",
        )
    idle = direct.get("idle_get")
    if idle:
        r.add(
            f"A request on a connection idle longer than `DB_IDLE_PING_SECONDS` (10 s by default) pays "
            f"{idle['round_trips'] - direct.get('warm_get', {}).get('round_trips', 0)} more round trips "
            "for the liveness ping: "
            + ", ".join(
                brief(f) for f in idle["flights"][: len(idle["flights"]) - len(direct["warm_get"]["flights"])]
            )
            + ".",
            "",
        )


def pooler_line(rt: dict[str, Any] | None) -> str:
    if not rt or "warm_get" not in rt["modes"].get("pgbouncer", {}):
        return "see §2"
    pooled, direct = rt["modes"]["pgbouncer"], rt["modes"]["direct"]
    through, alone = pooled["warm_get"]["round_trips"], direct["warm_get"]["round_trips"]
    if through == alone:
        return (
            f"a warm GET takes {through} round trip{'s' if through != 1 else ''} through the pooler, "
            "as direct (prepared statements "
            "tracked by PgBouncer, §2), over PgBouncer's unix socket as direct goes over PostgreSQL's: "
            "what differs is PgBouncer's own hop, whose CPU shares this machine's 2 cores with "
            "PostgreSQL, the function and the load generator"
        )
    return (
        f"behind the pooler a warm GET takes {through} round trips instead of {alone}: no "
        "prepared-statement cache, so every statement is prepared (asyncpg's unnamed statement) and "
        "then executed, inside BEGIN/COMMIT so both reach the same server connection (§2)"
    )
