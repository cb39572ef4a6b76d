"""The report's building blocks: the goals, number formats, verdicts and the Markdown being written."""

# ruff: noqa: RUF001, RUF002  (the report is typeset: its multiplication signs and dashes are meant)

from __future__ import annotations

from typing import Any

GOALS = {
    "cold_vs_floor": 1.15,
    "cold_vs_fastapi": 0.75,
    "warm_get_rt": 1,
    "write_rt": 3,
    "p50_vs_floor": 1.6,
    "rps_vs_fastapi": 1.5,
    "pgbouncer_vs_direct": 0.95,
    "index_speedup": 50.0,
    "index_ms": 5.0,
    "activity_overhead": 1.10,
    "flat_as_data_grows": 1.5,
}


def num(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and digits == 0:
        return f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def spread(s: dict[str, Any] | None, digits: int = 1, unit: str = "") -> str:
    """`median (min–max)` of a summary, or a dash."""
    if not s or s.get("median") is None:
        return "–"
    if s.get("n", 0) <= 1:
        return f"{num(s['median'], digits)}{unit}"
    return f"{num(s['median'], digits)}{unit} ({num(s['min'], digits)}–{num(s['max'], digits)})"


def verdict(ok: bool, detail: str) -> str:
    return f"**met** ({detail})" if ok else f"**missed** ({detail})"


def at_most(value: float | None, target: float, what: str = "") -> tuple[bool, str]:
    if value is None:
        return False, "not measured"
    ok = value <= target
    gap = "" if ok else f", over by {value - target:.2f}× ({(value / target - 1) * 100:.0f}%)"
    return ok, f"{value:.2f}×{what} vs ≤{target:g}×{gap}"


def at_least(value: float | None, target: float, what: str = "") -> tuple[bool, str]:
    if value is None:
        return False, "not measured"
    ok = value >= target
    gap = "" if ok else f", short by {target - value:.2f}× ({(1 - value / target) * 100:.0f}%)"
    return ok, f"{value:.2f}×{what} vs ≥{target:g}×{gap}"


class Report:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.goals: list[tuple[str, str, str]] = []

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        self.add("| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|")
        for row in rows:
            self.add("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
        self.add("")

    def goal(self, name: str, result: str, why: str) -> None:
        self.goals.append((name, result, why))
