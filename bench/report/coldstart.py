"""Section 1 of the report: cold starts, per function, and where the import time goes."""

# ruff: noqa: RUF001  (the report is typeset: its multiplication signs and dashes are meant)

from __future__ import annotations

from typing import Any

from bench.report.format import GOALS, Report, at_most, num, spread, verdict

RSS_HEADER = "RSS after it, MiB"


def rss(s: dict[str, Any]) -> str:
    """Resident memory after the first response (VmRSS), or a dash for results from before it was read."""
    return spread(s.get("rss_mib"), 0)


def every_function_goal(r: Report, c: dict[str, Any]) -> None:
    """Met only if every measured function is within the goal; the ones over are named, worst first."""
    target = GOALS["cold_vs_floor"]
    ratios = {name: s["vs_floor"] for name, s in c["functions"].items() if s.get("vs_floor") is not None}
    if not ratios:
        r.goal(f"Every function's cold start ≤{target:g}× the floor", verdict(False, "not measured"), "")
        return
    over = sorted(((v, n) for n, v in ratios.items() if v > target), reverse=True)
    worst_value, worst = max((v, n) for n, v in ratios.items())
    ok, detail = at_most(worst_value, target, f" for the slowest, `{worst}`")
    detail = f"{len(ratios) - len(over)}/{len(ratios)} within; " + detail
    floor = c["floor_during_functions"]["total_ms"]["median"]
    floor_cpu = (c["floor_during_functions"].get("cpu_ms") or {}).get("median")

    def by_cpu(name: str) -> str:
        cpu = (c["functions"][name].get("cpu_ms") or {}).get("median")
        return f" (CPU {cpu / floor_cpu:.2f}×)" if cpu and floor_cpu else ""

    if over:
        named = ", ".join(f"`{n}` {v:.2f}×{by_cpu(n)}" for v, n in over)
        why = (
            f"over: {named}. Each is its median over {c['function_rounds']} rounds against the floor's "
            f"{num(floor, 0)} ms in the same rounds (§1, Every function); the imports column says how much "
            "is loading code, the first-request column how much is the request"
        )
        if main := c["ratios"].get("ours_vs_floor"):
            projects = ratios.get("api/projects.py")
            if projects is not None and abs(projects - main) >= 0.05:
                why += (
                    f". How noisy a row is: `api/projects.py` measures {projects:.2f}× here and {main:.2f}× "
                    f"in the {c['rounds']} interleaved rounds of the main table"
                )
    else:
        why = f"every function within {target:g}× of the floor's {num(floor, 0)} ms in the same rounds"
    r.goal(f"Every function's cold start ≤{target:g}× the floor", verdict(ok, detail), why)


def section_coldstart(r: Report, c: dict[str, Any], command: str) -> None:
    r.add(
        "## 1. Cold start",
        "",
        f"`{command}` → `bench/coldstart.py`. A fresh `python` process per sample, from spawn to the "
        "first response of a real request (import + engine + connect + query) through the function's "
        "ASGI `app` (`bench/coldstart_child.py`, no HTTP server, stdlib only), with compiled bytecode "
        "(one discarded start first). References in the same run: the **floor** (`bench/floor.py`: "
        "imports starlette, sqlalchemy.ext.asyncio, asyncpg, pydantic, structlog, creates an engine, runs "
        "the project query) and the **FastAPI peer** (`bench/peers/fastapi_app.py`, same endpoint, same "
        f"SQL). {c['rounds']} interleaved rounds (shuffled order each round).",
        "",
    )
    rows = []
    for name, s in c["main"].items():
        rows.append(
            [
                name,
                spread(s["total_ms"], 0, " ms"),
                spread(s["interpreter_ms"], 0),
                spread(s["import_ms"], 0),
                spread(s["request_ms"], 0),
                spread(s.get("cpu_ms"), 0),
                rss(s),
                ", ".join(map(str, s["statuses"])),
            ]
        )
    r.table(
        [
            "variant",
            "spawn → response",
            "interpreter",
            "imports",
            "first request",
            "CPU ms",
            RSS_HEADER,
            "status",
        ],
        rows,
    )
    ratios, per_round = c["ratios"], c["per_round_ratios"]
    r.add(
        f"Ratios of the medians: ours / floor **{ratios['ours_vs_floor']}×** (per round "
        f"{spread(per_round['ours_vs_floor'], 2)}), ours / FastAPI **{ratios['ours_vs_fastapi']}×** "
        f"(per round {spread(per_round['ours_vs_fastapi'], 2)}), "
        f"FastAPI / floor {ratios['fastapi_vs_floor']}×.",
        "",
    )
    ours = c["main"]["ours: api/projects.py"]
    floor = c["main"]["floor"]
    imports = c["importtime"]
    our_import = imports["ours: api/projects.py"]["groups_ms"].get("ours (lib/, api/)", 0)
    top_ours = imports["ours: api/projects.py"]["ours_top"][:3]
    why = (
        f"imports {num(ours['import_ms']['median'], 0)} ms vs floor "
        f"{num(floor['import_ms']['median'], 0)} ms, "
        f"of which our own lib/ modules' code {num(our_import, 0)} ms "
        f"(top: {', '.join(f'{t["module"]} {t["self_ms"]:.1f} ms' for t in top_ours)}); first request "
        f"{num(ours['request_ms']['median'], 0)} ms vs {num(floor['request_ms']['median'], 0)} ms"
    )
    ok, detail = at_most(ratios["ours_vs_floor"], GOALS["cold_vs_floor"])
    r.goal(f"Cold start ≤{GOALS['cold_vs_floor']:g}× the floor (`api/projects.py`)", verdict(ok, detail), why)
    ok, detail = at_most(ratios["ours_vs_fastapi"], GOALS["cold_vs_fastapi"])
    fastapi = c["main"]["fastapi peer"]
    r.goal(
        f"Cold start ≤{GOALS['cold_vs_fastapi']:g}× the FastAPI peer (`api/projects.py`)",
        verdict(ok, detail),
        f"0.75× of the peer's {num(fastapi['total_ms']['median'], 0)} ms is "
        f"{num(fastapi['total_ms']['median'] * GOALS['cold_vs_fastapi'], 0)} ms = "
        f"{(ratios['fastapi_vs_floor'] or 0) * GOALS['cold_vs_fastapi']:.2f}× the floor; ours takes "
        f"{num(ours['total_ms']['median'], 0)} ms. The peer pays for fastapi itself "
        f"({num(imports['fastapi peer']['packages_ms'].get('fastapi'), 0)} ms of imports) and "
        f"opentelemetry ({num(imports['fastapi peer']['packages_ms'].get('opentelemetry'), 0)} ms)",
    )

    r.add(
        "### Every function",
        "",
        f"{c['function_rounds']} rounds per function, each round led by a floor sample "
        f"(floor median in these rounds: {spread(c['floor_during_functions']['total_ms'], 0, ' ms')}"
        + (
            f", CPU {spread(c['floor_during_functions']['cpu_ms'], 0, ' ms')}"
            if c["floor_during_functions"].get("cpu_ms")
            else ""
        )
        + "). CPU ms is the cold process's own user + system time: on this shared machine the wall time "
        "also counts the other processes' turns, the CPU time mostly not.",
        "",
    )
    rows = []
    for name, s in sorted(c["functions"].items(), key=lambda x: x[1]["total_ms"]["median"]):
        rows.append(
            [
                f"`{name}`",
                c["requests"].get(name, ""),
                spread(s["total_ms"], 0, " ms"),
                spread(s["import_ms"], 0),
                spread(s["request_ms"], 0),
                spread(s.get("cpu_ms"), 0),
                rss(s),
                f"{s['vs_floor']}×",
                ", ".join(map(str, s["statuses"])),
            ]
        )
    r.table(
        [
            "function",
            "request",
            "spawn → response",
            "imports",
            "first request",
            "CPU ms",
            RSS_HEADER,
            "vs floor",
            "status",
        ],
        rows,
    )
    every_function_goal(r, c)
    if c.get("unmeasured_functions"):
        r.add(
            "Not measured (no request defined in bench/coldstart.py): "
            f"{', '.join(c['unmeasured_functions'])}.",
            "",
        )

    r.add(
        "### Where the import time goes (`python -X importtime`, median of 5 runs, self time)",
        "",
    )
    groups = sorted({g for v in imports.values() for g in v["groups_ms"]})
    r.table(
        ["group", *imports.keys()],
        [[g, *(num(v["groups_ms"].get(g, 0), 1) + " ms" for v in imports.values())] for g in groups]
        + [["**total**", *(f"**{num(v['total_self_ms'], 1)} ms**" for v in imports.values())]]
        + [["modules imported", *(str(v["modules_imported"]) for v in imports.values())]],
    )
    r.add("Top packages by self time, ours vs floor vs FastAPI:", "")
    names = list(imports)
    packages = sorted({p for v in imports.values() for p in v["packages_ms"]})
    ranked = sorted(packages, key=lambda p: -imports[names[1]]["packages_ms"].get(p, 0))[:12]
    r.table(
        ["package", *names], [[p, *(num(imports[n]["packages_ms"].get(p), 1) for n in names)] for p in ranked]
    )
    r.add("OUR modules (lib/) by self time in `api/projects.py`'s cold start:", "")
    r.table(
        ["module", "self ms", "cumulative ms (incl. what it imports)"],
        [
            [f"`{t['module']}`", num(t["self_ms"], 2), num(t["cumulative_ms"], 1)]
            for t in imports[names[1]]["ours_top"]
        ],
    )
    r.add("The stack's biggest modules in the same cold start:", "")
    r.table(
        ["module", "self ms", "cumulative ms"],
        [
            [f"`{t['module']}`", num(t["self_ms"], 2), num(t["cumulative_ms"], 1)]
            for t in imports[names[1]]["stack_top"]
        ],
    )
    r.add(
        "cProfile of one whole cold start of `api/projects.py` (our functions by cumulative time; profiler "
        "overhead inflates absolute numbers, the order is what matters):",
        "",
    )
    r.table(
        ["function", "calls", "self ms", "cumulative ms"],
        [
            [f"`{p['function']}`", str(p["calls"]), num(p["self_ms"], 2), num(p["cumulative_ms"], 1)]
            for p in c["first_request_profile"][:15]
        ],
    )
