"""The report's first section: the code, machine and data set measured."""

# ruff: noqa: RUF001  (the report is typeset: its multiplication signs and dashes are meant)

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bench.common import RESULTS
from bench.report.format import Report, num


def measured_when(only: list[str]) -> str:
    """For a run of some measurements only: when each section's results were written (older ones stay)."""
    if not only:
        return ""
    stamps = []
    for path in sorted(RESULTS.glob("*.json")):
        if path.stem != "run":
            when = datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")
            stamps.append(f"{path.stem} {when}")
    return (
        f"- This run measured only {', '.join(only)}; every other section is from an earlier run, "
        f"on earlier code. Results written: {'; '.join(stamps)}."
    )


def code_line(code: dict[str, Any] | None) -> str:
    if not code:
        return "- Code measured: the work tree at the time of the run."
    line = f"- Code measured: commit `{code['commit']}` ({code['subject']})"
    if code.get("uncommitted"):
        line += f", with uncommitted changes in {', '.join(f'`{f}`' for f in code['uncommitted'])}"
    return line + "."


def section_setup(r: Report, run: dict[str, Any]) -> None:
    m, d = run["machine"], run["dataset"]
    r.add(
        "## Machine, data set, command",
        "",
        code_line(run.get("code")),
        *([line] if (line := measured_when(run.get("only", []))) else []),
        f"- Command: `{run['command']}`: the whole run took {num(run['total_seconds'] / 60, 1)} min, of "
        f"which {num(run['setup_seconds'], 1)} s migration and "
        + (
            f"generating the data set ({num(d.get('seconds'), 0)} s of it: COPY "
            f"{num(d.get('load_seconds'), 0)} s, then indexes, VACUUM ANALYZE and the cron's roll-up of "
            f"every complete day, {num(d.get('rollup_seconds'), 0)} s)"
            if run.get("generated", run["setup_seconds"] >= d.get("seconds", 1e9))
            else f"checking the data set (generated earlier in {num(d.get('seconds'), 0)} s)"
        )
        + "; a first run on a fresh clone adds about 30 s to create `bench/.venv`.",
        f"- Machine: {m['nproc']} cores ({m['cpu']}), {m['ram_gib']} GiB RAM, Linux {m['kernel']}, "
        f"Python {m['python']}, {run['postgres'].split(' on ')[0]} (embedded `pgserver`, unix socket, "
        "default settings except `max_wal_size=4GB`), load average at start "
        f"{', '.join(str(x) for x in m['loadavg_at_start'])}; venv: requirements.txt + "
        "bench/requirements.txt only"
        + (f" (⚠ also {', '.join(m['dev_only_packages'])})" if m.get("dev_only_packages") else "")
        + ". The machine is shared and noisy: every "
        "figure is a median over repeated runs with min–max, and every comparison is a ratio measured "
        "in the same run, interleaved.",
        f"- Data set ({'1/20 scale, BENCH_QUICK=1' if d['scale'] != 1 else 'full scale'}), generated "
        f"{d['generated_at'][:16].replace('T', ' ')} UTC by `bench/datagen/` with COPY; users are "
        "Zipf-skewed (weight 1/(rank+20)): the most active user "
        f"(id {d['power_id']}, the one the requests below use) owns {num(d['power_rows']['projects'])} "
        f"projects, {num(d['power_rows']['activity_logs'])} activity rows, "
        f"{num(d['power_rows']['chatbot_history'])} chatbot messages, "
        f"{num(d['power_rows']['idea_generation_history'])} ideas; "
        f"{num(d['activity_older_than_90_days'])} activity rows are older than 90 days. Today (UTC) "
        "holds a whole day's rows whatever the hour: the last 24 hours' draws, moved into the part "
        "of today that had passed (the reports read today from the rows, the cron rolls only "
        "complete days).",
        "",
    )
    sizes = d.get("table_bytes", {})
    r.table(
        ["table", "rows", "size with indexes"],
        [
            [t, num(n), f"{sizes.get(t, 0) / 2**20:,.0f} MiB"]
            for t, n in sorted(d["counts"].items(), key=lambda x: -x[1])
        ],
    )
