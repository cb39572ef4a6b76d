"""BENCHMARKS.md as a whole: header, goals table, how to run, then every section."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import RESULTS, ROOT, quick, read_result
from bench.report.activity import section_activity
from bench.report.archival import section_archival
from bench.report.coldstart import section_coldstart
from bench.report.format import Report
from bench.report.indexes import section_indexes
from bench.report.latency import section_latency
from bench.report.machine import section_setup
from bench.report.roundtrips import section_roundtrips
from bench.report.scaling import section_scaling


def scaling_line(run: dict[str, Any]) -> str:
    """What `bench/scaling.py` adds to a run: its two smaller data sets (once) and its own time."""
    line = (
        "- `bench/scaling.py` (§7) also needs the data set at 1/100 and 1/10 of the main one: "
        "`bench/datagen` generates them once into their own databases (`bench_scale_*`) on the bench "
        "server, kept and regenerated like the main one"
    )
    scaling = read_result("scaling")
    if scaling:
        made = [d.get("seconds") for f, d in scaling["datasets"].items() if float(f) < 1]
        line += f" ({' s and '.join(f'{s:.0f}' for s in made if s is not None)} s to generate here)"
    step = run["steps"].get("scaling")
    if step:
        line += f"; the measurement took {step['seconds']:.0f} s in this run"
    # The full-scale figures are estimates from quick runs (3 rounds of 100 requests there, 5 of 300 here).
    return line + " (a full run: about 2 min more, and some 15 s once for the two data sets)."


def write_report() -> Path:
    run = read_result("run")
    if run is None:
        raise SystemExit("no bench/results/run.json: run bench/run.py first")
    command = run["command"]
    r = Report()
    sections: list[tuple[str, Any]] = [
        ("coldstart", section_coldstart),
        ("roundtrips", section_roundtrips),
        ("latency", None),
        ("indexes", section_indexes),
        ("activity_overhead", section_activity),
        ("archival", section_archival),
        ("scaling", section_scaling),
    ]
    body = Report()
    section_setup(body, run)
    for name, writer in sections:
        data = read_result(name)
        if data is None:
            body.add(f"## {name}", "", f"Not measured in this run (see `{command}` output).", "")
            continue
        if name == "latency":
            section_latency(body, data, read_result("hotspots"), command)
        else:
            writer(body, data, command)
    r.add(
        "# Benchmarks",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `{command}` (`bench/run.py`; "
        "raw results in `bench/results/*.json`, git-ignored). Re-run it to refresh every number here; "
        "`make bench BENCH_QUICK=1` runs the same on 1/20 of the data (written to "
        "`bench/results/BENCHMARKS-quick.md`).",
        "",
        "## Goals",
        "",
    )
    r.table(["goal", "result", "why / where the time goes"], [[g, res, why] for g, res, why in body.goals])
    r.add(
        "## How to run",
        "",
        "- `make bench`: creates `bench/.venv` (`requirements.txt` + `bench/requirements.txt` only), "
        "starts its own embedded PostgreSQL under `.data/bench-pg`, migrates, generates the data set "
        "once (skipped while "
        "one of the same scale, generated the same UTC day, exists), installs `wrk` with "
        "apt-get when missing, runs the seven measurements (`bench/coldstart.py`, `roundtrips.py`, "
        "`latency.py` + `hotspots.py`, `indexes.py`, `scaling.py`, `activity_overhead.py`, `archival.py`), "
        "then writes this file. Everything listens on 127.0.0.1 only; every load point is bounded (≤10 s).",
        scaling_line(run),
        "- `make bench BENCH_QUICK=1`: the same on 1/20 of the data, fewer repetitions.",
        "- `make bench BENCH_ARGS='--only latency indexes'`: some measurements only; `--regenerate` "
        "rebuilds the data sets (the main one and §7's smaller ones); `BENCH_KEEP_PG=1` leaves the bench "
        "server running between runs.",
        "- Local figures are loopback/unix-socket: a round trip costs ~0.1 ms here but ~1 ms or more "
        "between a Vercel function and Neon, so the round-trip counts of §2 weigh more in production "
        "than the local latencies of §3 suggest.",
        "",
    )
    r.lines += body.lines
    path = (RESULTS / "BENCHMARKS-quick.md") if quick() else (ROOT / "BENCHMARKS.md")
    path.write_text("\n".join(r.lines).rstrip() + "\n")
    return path
