"""Section 6 of the report: archiving old activity rows under write load."""

from __future__ import annotations

from typing import Any

from bench.report.format import Report, num, spread


def section_archival(r: Report, arc: dict[str, Any], command: str) -> None:
    r.add(
        "## 6. Archival",
        "",
        f"`{command}` → `bench/archival.py`. Each run clones the bench database (`CREATE DATABASE … "
        f"TEMPLATE`), starts `api/projects.py` under uvicorn on the clone, sends `POST /api/projects` at "
        f"{arc['rate_per_second']:g}/s (open loop) for a baseline, then keeps sending while "
        f"`lib.core.archive.archive_older_than(ActivityLog, ActivityLogArchive, days={arc['days']}, "
        f"batch_size={arc['batch_size']})` moves every row older than {arc['days']} days "
        f"({num(arc['old_rows'])} rows).",
        "",
    )
    rows = []
    for i, run in enumerate(arc["runs"], 1):
        rows.append(
            [
                str(i),
                num(run["moved"]),
                str(run["batches"]),
                f"{run['seconds']:.1f}",
                num(run["rows_per_second"]),
                f"{run['baseline']['p50_ms']} / {run['baseline']['p99_ms']} / {run['baseline']['max_ms']}",
                f"{run['during']['p50_ms']} / {run['during']['p99_ms']} / {run['during']['max_ms']}",
                f"{run['during']['failed']} / {run['during']['requests']}",
                str(run["remaining"]),
            ]
        )
    r.table(
        [
            "run",
            "rows moved",
            "batches",
            "seconds",
            "rows/s",
            "POST p50/p99/max before, ms",
            "POST p50/p99/max during, ms",
            "failed / sent during",
            "left",
        ],
        rows,
    )
    r.add(
        f"Medians: {spread(arc['seconds'], 1, ' s')} to move the rows, "
        f"{spread(arc['rows_per_second'], 0)} rows/s; POST p99 "
        f"{spread(arc['baseline_p99_ms'], 1, ' ms')} before vs "
        f"{spread(arc['during_p99_ms'], 1, ' ms')} during.",
        "",
    )
