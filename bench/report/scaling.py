"""Section 7 of the report: p50 of the main list endpoints as the data grows from 1/100 to all of it."""

# ruff: noqa: RUF001  (the report is typeset: its multiplication signs and dashes are meant)

from __future__ import annotations

from fractions import Fraction
from typing import Any

from bench.report.format import GOALS, Report, at_most, num, spread, verdict


def short(fraction: float) -> str:
    """`1/100`, `all` and the like."""
    return "all" if fraction == 1 else f"1/{round(1 / fraction)}" if fraction < 1 else f"{fraction:g}×"


def label(fraction: float, quick: bool) -> str:
    """`1/100 of the quick set`, `all of the data` and the like."""
    return f"{short(fraction)} of the {'quick set' if quick else 'data'}"


def section_scaling(r: Report, s: dict[str, Any], command: str) -> None:
    quick = bool(s.get("quick"))
    fractions = [f"{f:g}" for f in s["fractions"]]
    smallest, largest = fractions[0], fractions[-1]
    sets = s["datasets"]
    r.add(
        "## 7. Cost as the data grows",
        "",
        f"`{command}` → `bench/scaling.py`. The same requests through each function's app in-process (no "
        "HTTP server, as `bench/hotspots.py`), against data sets of "
        + ", ".join(
            f"{label(float(f), quick)} (scale {Fraction(sets[f]['scale']).limit_denominator(100_000)}, "
            f"{num(sets[f]['counts']['activity_logs'])} activity rows, `{sets[f]['database']}`)"
            for f in fractions
        )
        + ", each generated once by `bench/datagen` into its own database on the bench server and kept "
        "while young, like the main one. Every request comes from the most active user of its own data "
        "set (id 2: the generator ranks ids by Zipf weight, so it is the same rank at every scale, with "
        "more rows behind it as the data grows) or from the admin (id 1). "
        f"One process; {s['rounds']} rounds, in each of which every request runs at the three scales back "
        "to back in shuffled order (a fresh event loop, so a fresh engine on that scale's database, then "
        f"20 warm and {s['requests_per_round']} timed requests). The p50 below is the median of the "
        "rounds' p50s; the ratio is taken per round, so a busy moment of the shared machine skews both "
        "sides of it.",
        "",
    )
    header = ["request", *(f"p50 ms at {label(float(f), quick)}" for f in fractions)]
    header += [f"{short(float(largest))} / {short(float(smallest))}, per round", "rows on the page"]
    rows = []
    for name, row in s["table"].items():
        rows.append(
            [
                f"`{name}`",
                *(spread(row["scales"][f]["p50_ms"], 2) for f in fractions),
                spread(row["largest_vs_smallest"], 2, "×"),
                " / ".join(str(row["scales"][f]["rows"]) for f in fractions),
            ]
        )
    r.table(header, rows)
    power = {f: sets[f].get("power_rows", {}) for f in fractions}
    r.add(
        "Rows behind the top user: "
        + "; ".join(
            f"{label(float(f), quick)}: {num(power[f].get('projects'))} projects, "
            f"{num(power[f].get('activity_logs'))} activity rows"
            for f in fractions
        )
        + ". A page holds at most 20 rows: where the smallest set has fewer, its p50 also answers less.",
        "",
    )
    if s.get("skipped"):
        r.add(
            "Not measured: " + "; ".join(f"`{name}` ({why})" for name, why in s["skipped"].items()) + ".",
            "",
        )
    target = GOALS["flat_as_data_grows"]
    ratios = {name: row["largest_vs_smallest"]["median"] for name, row in s["table"].items()}
    worst_value, worst = max((v, n) for n, v in ratios.items())
    over = sorted(((v, n) for n, v in ratios.items() if v > target), reverse=True)
    ok, detail = at_most(worst_value, target, f" for the steepest, `{worst}`")
    detail = f"{len(ratios) - len(over)}/{len(ratios)} within; " + detail
    if over:
        parts = []
        for v, n in over:
            rows = s["table"][n]["scales"]
            few, full = rows[smallest]["rows"], rows[largest]["rows"]
            parts.append(
                f"`{n}` {v:.2f}×"
                + (f" (its smallest set's page has {few} rows, the largest's {full})" if few < full else "")
            )
        why = "over: " + ", ".join(parts) + "; per-round ratios of the p50s, each scale's p50 in §7"
    else:
        why = (
            f"every list's p50 stays within {target:g}× while the data grows "
            f"{round(float(largest) / float(smallest))}×: each is one keyset page (newest first, "
            "`LIMIT 21`) read off an index (§4), so it reads about the same rows whatever the table's size"
        )
    r.goal(
        f"List p50 flat as the data grows ({label(float(largest), quick)} ≤{target:g}× "
        f"{label(float(smallest), quick)})",
        verdict(ok, detail),
        why,
    )
