"""(2) Round trips per request, statement by statement: on the wire and in the server's own log."""

from __future__ import annotations

import asyncio
import importlib
import os
import re
import sys
from pathlib import Path
from typing import Any

from bench.common import (
    PG_DIR,
    database_url,
    db_name,
    meta,
    progress,
    remove_writes,
    reps,
    server_url,
    summary,
    token_for,
    use_app_env,
    write_result,
)
from devkit.wire import RoundTripProxy, short_sql

LOG_ENTRY = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \w+ \[(\d+)\] ([^:]*): (.*)$")
DURATION = re.compile(r"duration: [\d.]+ ms\s+(?:(parse|bind|execute) ([^:]*)|statement): (.*)", re.S)


class ServerLog:
    """Reads the bench server's log from an offset: the statements one application name ran."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def offset(self) -> int:
        return self.path.stat().st_size

    def statements(self, start: int, application: str) -> list[str]:
        with open(self.path, "rb") as handle:
            handle.seek(start)
            text = handle.read().decode(errors="replace")
        entries: list[tuple[str, str]] = []
        for line in text.splitlines():
            match = LOG_ENTRY.match(line)
            if match:
                entries.append((match.group(2), match.group(3)))
            elif entries:
                entries[-1] = (entries[-1][0], entries[-1][1] + "\n" + line)
        steps = []
        for app, message in entries:
            if app != application:
                continue
            found = DURATION.search(message)
            if found:
                step = found.group(1) or "simple query"
                steps.append(f"{step}: {short_sql(found.group(3))}")
        return steps


async def set_statement_logging(url: str, on: bool) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        name = db_name()
        if on:
            await conn.execute(f'ALTER DATABASE "{name}" SET log_min_duration_statement = 0')
        else:
            await conn.execute(f'ALTER DATABASE "{name}" RESET log_min_duration_statement')
    finally:
        await conn.close()


async def measure_mode(
    mode: str, upstream: str, pooler: bool, data: dict[str, Any], log: ServerLog
) -> dict[str, Any]:
    """The round trips of each request with the app's database behind a proxy in front of `upstream`."""
    from bench.asgi import call
    from lib.core.config import get_settings
    from lib.core.db import dispose_engine

    recorder = RoundTripProxy(upstream)
    port = recorder.port
    application = f"bench-rt-{mode}"
    os.environ["DATABASE_URL"] = (
        f"postgresql://postgres@127.0.0.1:{port}/{db_name()}?application_name={application}"
    )
    os.environ["DB_POOLER"] = "prepared" if pooler else "off"
    os.environ.pop("DB_IDLE_PING_SECONDS", None)
    get_settings.cache_clear()
    await dispose_engine()
    projects = importlib.import_module("api.projects")
    power, writer = token_for(data["power_id"]), token_for(data["writer_id"])
    get_url = f"/api/projects/{data['power_project_id']}"
    body = {
        "title": "Bench project",
        "description": "Round trips",
        "category": "iot",
        "tech_stack": ["python"],
    }

    async def one(method: str, url: str, token: str, payload: Any = None) -> dict[str, Any]:
        mark, offset = recorder.mark(), log.offset()
        status, _ = await call(projects.app, method, url, token=token, body=payload)
        await asyncio.sleep(0.02)  # let the proxy's reader record the last messages
        flights = recorder.flights(mark)
        return {
            "status": status,
            "round_trips": len(flights),
            "flights": [f.describe() for f in flights],
            "connections": len({f.connection for f in flights}),
            "server": log.statements(offset, application),
        }

    n = reps(5, 3)
    result: dict[str, Any] = {"cold_get": await one("GET", get_url, power)}
    for _ in range(2):
        await one("GET", get_url, power)
    cases = {
        "warm_get": ("GET", get_url, power, None),
        "list_get": ("GET", "/api/projects?status=in_progress", power, None),
        "post": ("POST", "/api/projects", writer, body),
    }
    for name, (method, url, token, payload) in cases.items():
        for _ in range(2):  # the first uses of a statement on a connection prepare it
            await one(method, url, token, payload)
        samples = [await one(method, url, token, payload) for _ in range(n)]
        result[name] = samples[-1] | {"round_trips_summary": summary((s["round_trips"] for s in samples), 1)}
        result[name]["statuses"] = sorted({s["status"] for s in samples})

    # A pooled connection idle longer than DB_IDLE_PING_SECONDS (10 s by default) is pinged first.
    await dispose_engine()
    os.environ["DB_IDLE_PING_SECONDS"] = "0.2"
    get_settings.cache_clear()
    await one("GET", get_url, power)
    for _ in range(2):  # the second idle ping finds its statement prepared: the steady state
        await asyncio.sleep(0.4)
        result["idle_get"] = await one("GET", get_url, power)
    os.environ.pop("DB_IDLE_PING_SECONDS", None)
    get_settings.cache_clear()
    await dispose_engine()
    recorder.close()
    return result


async def run(data: dict[str, Any]) -> dict[str, Any]:
    url, base = database_url(), server_url()
    use_app_env(url, LOG_LEVEL="warning")
    from devkit.pgbouncer import PgBouncer, PgBouncerMissing

    log = ServerLog(PG_DIR / "log")
    await set_statement_logging(url, True)
    results: dict[str, Any] = {}
    try:
        progress("direct (asyncpg statement cache on)")
        results["direct"] = await measure_mode("direct", url, False, data, log)
        try:
            bouncer = PgBouncer(base)
        except PgBouncerMissing as missing:
            results["pgbouncer"] = {"skipped": str(missing)}
        else:
            try:
                progress(f"through PgBouncer {bouncer.version}, transaction mode, prepared statements")
                results["pgbouncer"] = await measure_mode(
                    "pgbouncer", bouncer.url(db_name()), True, data, log
                )
            finally:
                bouncer.stop()
    finally:
        await set_statement_logging(url, False)
        await remove_writes(url, data["writer_id"])
    return results


def main() -> int:
    results = asyncio.run(run(meta()))
    write_result("roundtrips", {"modes": results})
    for mode, cases in results.items():
        if "skipped" in cases:
            progress(f"{mode}: skipped ({cases['skipped']})")
            continue
        counts = ", ".join(f"{name} {case['round_trips']}" for name, case in cases.items())
        progress(f"{mode}: round trips per request: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
