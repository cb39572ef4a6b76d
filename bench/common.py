"""Shared pieces of the benchmarks: paths, settings, the bench database, statistics, servers."""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from devkit.processes import PYTHON, ROOT, free_port

BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
LOGS = RESULTS / "logs"
PG_DIR = ROOT / ".data" / "bench-pg"


# A data set generated on an earlier UTC day is regenerated: reports and archival count days back
# from now(), and today would hold no rows (bench/datagen puts a whole day's rows into today).
def generated_today(epoch: float) -> bool:
    return int(epoch // 86_400) == int(time.time() // 86_400)


# Fixed, bench-only secrets: every process of a run signs and checks tokens with the same key.
SECRET_KEY = "bench-only-secret-key-never-used-in-production-0123456789"
CRON_SECRET = "bench-cron-secret"
ALGORITHM = "HS256"
ISSUER = "launchpad-api"


def quick() -> bool:
    """`make bench BENCH_QUICK=1`: 1/20 of the data and fewer repetitions."""
    return os.environ.get("BENCH_QUICK", "").strip() not in ("", "0")


def scale() -> float:
    """The main data set's fraction of the full volume."""
    return 0.05 if quick() else 1.0


def db_name(factor: float | None = None) -> str:
    """The bench database holding the data set at `factor` (default: the main one, at `scale()`)."""
    if factor is None or factor == scale():
        return "bench_quick" if quick() else "bench"
    # Smaller sets of bench/scaling.py: one database each on the same server, named by their scale.
    return "bench_scale_" + f"{factor:g}".replace(".", "_").replace("-", "_")


def reps(full: int, fast: int) -> int:
    """How many repetitions a measurement makes in a full and in a quick run."""
    return fast if quick() else full


def database_url() -> str:
    """The bench database's direct URL (set by bench/run.py for every measurement)."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        raise SystemExit("BENCH_DATABASE_URL is not set: run the benchmarks through bench/run.py")
    return url


def server_url() -> str:
    """The bench server's maintenance-database URL (for CREATE/DROP DATABASE and PgBouncer)."""
    url = os.environ.get("BENCH_SERVER_URL")
    if not url:
        raise SystemExit("BENCH_SERVER_URL is not set: run the benchmarks through bench/run.py")
    return url


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment every function process of the benchmarks runs with (Vercel-like logging)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL_UNPOOLED", "AI_API_URL", "AI_API_KEY", "FRONTEND_URL", "VERCEL"}
    }
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=SECRET_KEY,
        CRON_SECRET=CRON_SECRET,
        LAUNCHPAD_LOCAL="1",  # a local run: the mail defaults apply
        LOG_FORMAT="json",
        LOG_LEVEL="info",
        ACCESS_TOKEN_MINUTES="1440",
        DB_POOLER="off",
        PYTHONPATH=str(ROOT),
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # cold starts are measured with compiled bytecode
    env.update(extra)
    return env


def use_app_env(database_url: str, **extra: str) -> None:
    """Point this process's `lib` settings at `database_url` (call before importing lib)."""
    os.environ.update(app_env(database_url, **extra))


async def roll_up_reports() -> dict[str, Any]:
    """What production's archive cron does daily: roll up every complete day not rolled yet (call
    `use_app_env` first)."""
    from lib.core.db import dispose_engine
    from lib.core.rollups import roll_up

    started = time.monotonic()
    result = await roll_up(deadline=started + 600)
    await dispose_engine()
    return {
        "rolled_days": result.rolled,
        "pending_days": result.pending,
        "seconds": time.monotonic() - started,
    }


def token_for(user_id: int, minutes: int = 1440) -> str:
    """A valid access token for `user_id`, signed as lib.core.tokens signs them (pyjwt, HS256)."""
    import jwt

    now = int(time.time())
    # `ver`: the user's token_version (0 for the generated users; a bump revokes the token).
    claims = {"sub": str(user_id), "iat": now, "exp": now + minutes * 60, "iss": ISSUER, "ver": 0}
    return jwt.encode(claims, SECRET_KEY, algorithm=ALGORITHM)


def summary(values: Iterable[float], digits: int = 3) -> dict[str, Any]:
    """Median, min, max and count of repeated measurements."""
    data = [float(v) for v in values if v is not None]
    if not data:
        return {"median": None, "min": None, "max": None, "n": 0}
    return {
        "median": round(statistics.median(data), digits),
        "min": round(min(data), digits),
        "max": round(max(data), digits),
        "n": len(data),
    }


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of `values` (fraction 0..1)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def ratio(a: float | None, b: float | None, digits: int = 2) -> float | None:
    if a is None or b in (None, 0):
        return None
    return round(a / b, digits)  # type: ignore[operator]


def write_result(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}{'-quick' if quick() else ''}.json"
    path.write_text(json.dumps(data, indent=2, default=str))
    return path


def read_result(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}{'-quick' if quick() else ''}.json"
    return json.loads(path.read_text()) if path.exists() else None


def log_path(name: str) -> Path:
    LOGS.mkdir(parents=True, exist_ok=True)
    return LOGS / f"{name}.log"


def wait_port(port: int, process: subprocess.Popen[Any] | None = None, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening on {port}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def stop_process(process: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    """Stop a process this harness started (SIGTERM, then SIGKILL)."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


@contextmanager
def uvicorn_server(name: str, target: str, env: dict[str, str], *, factory: bool = False) -> Iterator[int]:
    """Serve an ASGI app with uvicorn (uvloop + httptools, one worker) on a free loopback port."""
    port = free_port()
    command = [
        PYTHON,
        "-m",
        "uvicorn",
        target,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
        "--lifespan",
        "off",
        "--app-dir",
        str(ROOT),
    ]
    if factory:
        command.append("--factory")
    with open(log_path(name), "ab") as log:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log)
    try:
        wait_port(port, process)
        yield port
    finally:
        stop_process(process)


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "wrk": shutil.which("wrk") is not None,
        # Installed but not in requirements.txt: would skew cold starts (structlog imports rich).
        "dev_only_packages": [name for name in ("rich", "pytest", "schemathesis") if find_spec(name)],
    }


async def fetch_meta(url: str) -> dict[str, Any]:
    """What bench/datagen recorded about the data set (ids of the bench accounts, counts)."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        exists = await conn.fetchval("SELECT to_regclass('bench_meta') IS NOT NULL")
        if not exists:
            return {}
        rows = await conn.fetch("SELECT key, value FROM bench_meta")
        return {row["key"]: json.loads(row["value"]) for row in rows}
    finally:
        await conn.close()


def meta() -> dict[str, Any]:
    """The data set's meta of the bench database (synchronous helper for measurements)."""
    import asyncio

    data = asyncio.run(fetch_meta(database_url()))
    if "dataset" not in data:
        raise SystemExit("the bench database has no generated data set: run bench/run.py")
    return data["dataset"]


def progress(message: str) -> None:
    print(message, flush=True)


async def remove_writes(url: str, writer_id: int) -> None:
    """Undo what a measurement wrote as `writer_id` (its projects and their activity rows)."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute("DELETE FROM activity_logs WHERE user_id = $1", writer_id)
        await conn.execute("DELETE FROM projects WHERE user_id = $1", writer_id)
    finally:
        await conn.close()
