"""Where a warm request's time goes in-process: per-request time, cProfile by package and by our function."""

from __future__ import annotations

import asyncio
import cProfile
import importlib
import pstats
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from bench.common import (
    ROOT,
    database_url,
    log_path,
    meta,
    progress,
    remove_writes,
    reps,
    summary,
    token_for,
    use_app_env,
    write_result,
)


def package_of(filename: str, function: str) -> str:
    """The package a profiled function belongs to."""
    if filename == "~" and "poll" in function:
        return "waiting on the database (epoll)"
    if filename == "~" or filename.startswith("<"):
        return "C built-ins (incl. asyncpg/pydantic-core internals)"
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    rel = filename.replace(str(ROOT) + "/", "")
    if rel.startswith(("lib/", "api/")):
        return "ours (lib/, api/)"
    if rel.startswith("bench/"):
        return "bench harness (ASGI caller)"
    if "/python3." in filename:
        module = filename.split("/python3.", 1)[1].split("/", 2)[1].removesuffix(".py")
        return f"stdlib {module}"
    return "other"


async def time_block(app: Any, case: tuple[str, str, str, Any], n: int) -> list[float]:
    from bench.asgi import call

    method, url, token, body = case
    out = []
    for _ in range(n):
        started = time.perf_counter()
        status, _ = await call(app, method, url, token=token, body=body)
        out.append((time.perf_counter() - started) * 1000)
        if status >= 300:
            raise RuntimeError(f"{method} {url} answered {status}")
    return out


def per_call_us(fn: Callable[[], Any], n: int, repeats: int = 5) -> dict[str, Any]:
    """Median over `repeats` of the mean µs per call of `fn` over `n` calls."""
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - started) / n * 1e6)
    return summary(samples, 1)


async def per_await_us(fn: Callable[[], Awaitable[Any]], n: int, repeats: int = 5) -> dict[str, Any]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(n):
            await fn()
        samples.append((time.perf_counter() - started) / n * 1e6)
    return summary(samples, 1)


async def micro(data: dict[str, Any]) -> dict[str, Any]:
    """What single pieces of a warm GET cost, each timed alone (µs per call)."""
    import asyncpg
    from sqlalchemy import select, text

    from bench.floor import PROJECT_SQL, USER_SQL
    from lib.core import log as lib_log
    from lib.core import tokens
    from lib.core.db import session
    from lib.models.projects import Project
    from lib.models.users import User
    from lib.rules.ownership import owned
    from lib.schemas.projects import ProjectOut
    from lib.web.responses import json_response

    def read_session() -> Any:
        try:
            return session(autocommit=True)  # type: ignore[call-arg]
        except TypeError:
            return session()

    power, project_id = data["power_id"], data["power_project_id"]
    token = token_for(power)
    async with read_session() as db:
        user = await db.get(User, power)
        project = await db.get(Project, project_id)
    logger = lib_log.get_logger("web")
    event = {"method": "GET", "path": f"/api/projects/{project_id}", "status": 200, "duration_ms": 1.23}
    n, m = reps(3000, 500), reps(300, 60)

    async def orm_user() -> None:
        async with read_session() as db:
            await db.get(User, power)

    async def orm_project() -> None:
        async with read_session() as db:
            await db.scalar(select(Project).where(*owned(Project, project_id, user)))

    from lib.core.db import get_engine

    engine = get_engine().execution_options(isolation_level="AUTOCOMMIT")
    user_sql = text(USER_SQL.replace("$1::BIGINT", ":id"))

    async def checkout_only() -> None:
        async with engine.connect():
            pass

    async def core_user() -> None:
        async with engine.connect() as core:
            (await core.execute(user_sql, {"id": power})).first()

    from lib.core.rows import core_rows
    from lib.web.authentication import _user_by_id

    async def driver_user() -> None:
        async with read_session() as db:
            await core_rows(db, _user_by_id(), {"user_id": power})

    conn = await asyncpg.connect(database_url())
    try:
        for _ in range(3):
            await conn.fetchrow(USER_SQL, power)
            await conn.fetchrow(PROJECT_SQL, project_id, power)
        out = {
            "decode_access_token (pyjwt HS256 + claim checks)": per_call_us(
                lambda: tokens.decode_access_token(token), n
            ),
            "access-log line (structlog JSON + redaction, to a file)": per_call_us(
                lambda: logger.info("request", **event), n
            ),
            "lib.core.log.redact of that event": per_call_us(
                lambda: lib_log.redact(dict(event, request_id="x")), n
            ),
            "build select(Project).where(*owned(...))": per_call_us(
                lambda: select(Project).where(*owned(Project, project_id, user)), n
            ),
            "ProjectOut.model_validate(row) + json_response": per_call_us(
                lambda: json_response(ProjectOut.model_validate(project)), n
            ),
            "session() + db.get(User, id): ORM, 1 round trip": await per_await_us(orm_user, m),
            "engine.connect() checkout + return, no statement": await per_await_us(checkout_only, m),
            "Core: engine.connect() + execute(text(user SQL)), 1 round trip": await per_await_us(
                core_user, m
            ),
            "session() + core_rows(user by id): the API's read path (driver), 1 round trip": (
                await per_await_us(driver_user, m)
            ),
            "asyncpg fetchrow of the same user SQL: driver, 1 round trip": await per_await_us(
                lambda: conn.fetchrow(USER_SQL, power), m
            ),
            "session() + db.scalar(select(Project)…): ORM, 1 round trip": await per_await_us(orm_project, m),
            "asyncpg fetchrow of the same project SQL": await per_await_us(
                lambda: conn.fetchrow(PROJECT_SQL, project_id, power), m
            ),
        }
    finally:
        await conn.close()
    return out


async def run(data: dict[str, Any]) -> dict[str, Any]:
    # The structured logs go to a file (as Vercel captures them), not to the terminal.
    real_stderr = sys.stderr
    sys.stderr = open(log_path("hotspots"), "a")  # noqa: SIM115
    try:
        projects = importlib.import_module("api.projects")
        importlib.import_module("lib.core.log").get_logger("bench")
    finally:
        sys.stderr = real_stderr
    power, writer = token_for(data["power_id"]), token_for(data["writer_id"])
    body = {
        "title": "Hotspot project",
        "description": "Profiled",
        "category": "iot",
        "tech_stack": ["python"],
    }
    cases = {
        "GET /api/projects/{id}": ("GET", f"/api/projects/{data['power_project_id']}", power, None),
        "GET /api/projects?status=in_progress": ("GET", "/api/projects?status=in_progress", power, None),
        "POST /api/projects": ("POST", "/api/projects", writer, body),
    }
    n = reps(300, 60)
    blocks = reps(5, 2)
    for case in cases.values():
        await time_block(projects.app, case, 20)

    progress(f"timing {len(cases)} requests in-process: {blocks} blocks of {n}")
    per_block: dict[str, list[float]] = defaultdict(list)
    for _ in range(blocks):
        for name, case in cases.items():
            per_block[name].append(statistics.median(await time_block(projects.app, case, n)))
    timing = {name: summary(values, 3) for name, values in per_block.items()}
    progress("micro-benchmarks of the pieces of a request")
    pieces = await micro(data)

    progress("profiling")
    profiles: dict[str, Any] = {}
    for name, case in cases.items():
        profiler = cProfile.Profile()
        profiler.enable()
        await time_block(projects.app, case, n)
        profiler.disable()
        stats = pstats.Stats(profiler)
        total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]
        by_package: dict[str, float] = defaultdict(float)
        ours = []
        for (filename, line, function), (_cc, calls, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            by_package[package_of(filename, function)] += tottime
            rel = filename.replace(str(ROOT) + "/", "")
            if rel.startswith(("lib/", "api/")):
                ours.append(
                    {
                        "function": f"{rel}:{line} {function}",
                        "calls_per_request": round(calls / n, 2),
                        "self_us": round(tottime / n * 1e6, 1),
                        "cumulative_us": round(cumtime / n * 1e6, 1),
                    }
                )
        profiles[name] = {
            "profiled_us_per_request": round(total / n * 1e6, 1),
            "packages": [
                {"package": p, "share": round(t / total, 3), "us_per_request": round(t / n * 1e6, 1)}
                for p, t in sorted(by_package.items(), key=lambda x: -x[1])[:14]
            ],
            "ours_by_cumulative": sorted(ours, key=lambda r: -r["cumulative_us"])[:15],
            "ours_by_self": sorted(ours, key=lambda r: -r["self_us"])[:10],
        }
    from lib.core.db import dispose_engine

    await dispose_engine()
    return {
        "requests_per_block": n,
        "blocks": blocks,
        "ms_per_request": timing,
        "micro_us": pieces,
        "profiles": profiles,
    }


def main() -> int:
    data = meta()
    url = database_url()
    use_app_env(url)
    try:
        result = asyncio.run(run(data))
    finally:
        asyncio.run(remove_writes(url, data["writer_id"]))
    write_result("hotspots", result)
    for name, values in result["ms_per_request"].items():
        progress(f"{name}: {values['median']} ms per request in-process")
    return 0


if __name__ == "__main__":
    sys.exit(main())
