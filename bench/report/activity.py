"""Section 5 of the report: what the activity row costs a write."""

# ruff: noqa: RUF001  (the report is typeset: its multiplication signs and dashes are meant)

from __future__ import annotations

from typing import Any

from bench.report.format import GOALS, Report, at_most, num, spread, verdict


def section_activity(r: Report, act: dict[str, Any], command: str) -> None:
    r.add(
        "## 5. Activity logging overhead",
        "",
        f"`{command}` → `bench/activity_overhead.py`. `POST /api/projects` through the function's app "
        f"in-process, {act['rounds']} rounds of {act['requests_per_block']} requests with the activity row, "
        f"then {act['requests_per_block']} with `{act['patched']}` patched to a no-op in the bench process.",
        "",
    )
    r.table(
        ["", "median of round medians, ms (min–max)", "p99, ms"],
        [
            ["with the activity row", spread(act["with_activity_ms"], 3), num(act["p99_with_ms"], 2)],
            ["without (no-op)", spread(act["without_activity_ms"], 3), num(act["p99_without_ms"], 2)],
        ],
    )
    r.add(
        f"Per-round ratio with / without: {spread(act['ratio'], 3)}; "
        f"the row costs {act['overhead_ms']} ms per write.",
        "",
    )
    async_commit = act.get("async_commit")
    if async_commit:
        r.add(
            "The same with `synchronous_commit = off` on the bench database (so a commit does not wait for "
            f"its WAL flush): {async_commit['with_activity_ms']} ms with, "
            f"{async_commit['without_activity_ms']} ms without, ratio {spread(async_commit['ratio'], 3)}: "
            "the second commit's flush accounts for "
            f"{act['overhead_ms'] - async_commit['overhead_ms']:.2f} ms of the {act['overhead_ms']} ms; the "
            "rest is the second session's round trip, its pool checkout and the INSERT's own Python "
            "(§3, pieces).",
            "",
        )
    ok, detail = at_most(act["ratio"]["median"], GOALS["activity_overhead"])
    r.goal(
        "Activity logging ≤10% of a write",
        verdict(ok, detail),
        f"+{act['overhead_ms']} ms per write: one more round trip (the INSERT, in its own autocommit "
        "session after the write committed, so a second commit)",
    )
