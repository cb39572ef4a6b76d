"""`make bench`: own embedded PostgreSQL, migrate, generate data once, run every measurement, report."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import time
import warnings
from typing import Any

from bench.common import (
    PG_DIR,
    PYTHON,
    ROOT,
    app_env,
    db_name,
    fetch_meta,
    generated_today,
    log_path,
    machine,
    progress,
    quick,
    scale,
    write_result,
)
from devkit.processes import subprocess_env

warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

# Measurement modules in the order they run (archival last: it works on a clone of the data).
MEASUREMENTS = (
    "coldstart",
    "roundtrips",
    "latency",
    "hotspots",
    "indexes",
    "scaling",
    "activity_overhead",
    "archival",
)
# Settings of the bench server (all reloadable; no restart needed).
SERVER_SETTINGS = {
    "max_wal_size": "'4GB'",
    "checkpoint_timeout": "'30min'",
    "log_line_prefix": "'%m [%p] %a: '",
    "log_min_duration_statement": "-1",
}


def start_database() -> tuple[Any, str]:
    """Start (or join) the bench's own embedded PostgreSQL under .data/bench-pg."""
    from devkit.localdb import start_server

    # BENCH_KEEP_PG=1 leaves the server running after the run (faster iterations).
    server = start_server(PG_DIR, cleanup_mode=None if os.environ.get("BENCH_KEEP_PG") else "stop")
    base = server.get_uri()

    async def configure() -> str:
        import asyncpg

        conn = await asyncpg.connect(base)
        try:
            for name, value in SERVER_SETTINGS.items():
                await conn.execute(f"ALTER SYSTEM SET {name} = {value}")
            await conn.execute("SELECT pg_reload_conf()")
            return str(await conn.fetchval("SHOW server_version"))
        finally:
            await conn.close()

    version = asyncio.run(configure())
    progress(f"bench PostgreSQL {version} at {PG_DIR}")
    return server, base


def prepare_dataset(
    base: str, *, factor: float | None = None, regenerate: bool = False
) -> tuple[str, dict[str, Any], bool]:
    """The migrated bench database at `factor` (default `scale()`), generated when missing or stale."""
    from devkit.localdb import database_url, ensure_database

    factor = scale() if factor is None else factor
    name = db_name(factor)
    url = database_url(base, name)
    ensure_database(base, name)
    dataset = asyncio.run(fetch_meta(url)).get("dataset")
    stale = dataset is None or dataset.get("scale") != factor
    if dataset and not stale:
        stale = not generated_today(float(dataset["generated_epoch"]))
        if stale:
            progress(
                f"data set generated {dataset['generated_at'][:16]} UTC, on an earlier day: regenerating "
                "(reports count days back from now, and today is to hold a whole day's rows)"
            )
    if regenerate or stale:
        ensure_database(base, name, fresh=True)
    migrate = subprocess.run(
        [PYTHON, str(ROOT / "scripts" / "migrate.py")],
        env=app_env(url),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if migrate.returncode != 0:
        raise SystemExit(f"migration failed:\n{migrate.stdout}\n{migrate.stderr}")
    if regenerate or stale:
        progress(f"generating the data set (scale {factor:g}) into {name}")
        datagen = [PYTHON, "-m", "bench.datagen", "--url", url, "--scale", repr(factor)]
        subprocess.run(datagen, cwd=ROOT, env=subprocess_env(), check=True)
        dataset = asyncio.run(fetch_meta(url))["dataset"]
    else:
        progress(
            f"data set present in {name} (generated {dataset['generated_at']}, scale {dataset['scale']:g}): "
            "skipping"
        )
    assert dataset is not None
    return url, dataset, regenerate or stale


def ensure_wrk() -> None:
    """Debian's wrk is the load generator; install it when missing (root), else fall back to Python."""
    if shutil.which("wrk"):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        progress("wrk is not installed: the Python load generator is used instead")
        return
    progress("installing wrk (apt-get)")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    if subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], **quiet).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], **quiet)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], **quiet)
    if not shutil.which("wrk"):
        progress("wrk could not be installed: the Python load generator is used instead")


def code_version() -> dict[str, Any]:
    """The commit measured, and which of the app's files differ from it (others edit them live)."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.rstrip("\n") if done.returncode == 0 else ""  # porcelain lines start with a space

    changed = git("status", "--porcelain", "--", "api", "lib", "migrations", "requirements.txt")
    return {
        "commit": git("rev-parse", "--short", "HEAD") or "unknown",
        "subject": git("log", "-1", "--format=%s"),
        "uncommitted": [line[3:] for line in changed.splitlines()],
    }


def run_measurement(name: str, env: dict[str, str]) -> dict[str, Any]:
    """Run one bench/<name>.py in its own process; a failure is recorded, the others still run."""
    progress(f"\n=== {name}")
    started = time.monotonic()
    process = subprocess.run([PYTHON, "-m", f"bench.{name}"], cwd=ROOT, env=env)
    seconds = round(time.monotonic() - started, 1)
    progress(
        f"=== {name}: {'ok' if process.returncode == 0 else f'FAILED ({process.returncode})'} in {seconds}s"
    )
    return {"ok": process.returncode == 0, "seconds": seconds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", choices=MEASUREMENTS, help="run only these measurements")
    parser.add_argument("--regenerate", action="store_true", help="regenerate the data set")
    parser.add_argument("--no-report", action="store_true", help="do not write the report")
    parser.add_argument("--setup-only", action="store_true", help="start, migrate and generate; no measuring")
    args = parser.parse_args()

    started = time.monotonic()
    log_path("run").write_text("")
    server, base = start_database()
    try:
        t0 = time.monotonic()
        url, dataset, generated = prepare_dataset(base, regenerate=args.regenerate)
        setup_seconds = round(time.monotonic() - t0, 1)
        if args.setup_only:
            return 0
        if extra := machine()["dev_only_packages"]:
            progress(f"warning: {', '.join(extra)} installed in this venv: cold starts will include them")
        ensure_wrk()
        env = subprocess_env(BENCH_DATABASE_URL=url, BENCH_SERVER_URL=base)
        if args.regenerate:
            env["BENCH_REGENERATE"] = "1"  # bench/scaling.py's smaller data sets too
        steps: dict[str, Any] = {}
        code = code_version()
        for name in args.only or MEASUREMENTS:
            steps[name] = run_measurement(name, env)
        total = round(time.monotonic() - started, 1)
        write_result(
            "run",
            {
                "machine": machine(),
                "postgres": asyncio.run(_server_version(base)),
                "quick": quick(),
                "code": code,
                "dataset": dataset,
                "setup_seconds": setup_seconds,
                "generated": generated,
                "steps": steps,
                "total_seconds": total,
                "command": "make bench"
                + (" BENCH_QUICK=1" if quick() else "")
                + (f" BENCH_ARGS='--only {' '.join(args.only)}'" if args.only else ""),
                "only": list(args.only or []),
            },
        )
        if not args.no_report:
            from bench.report.document import write_report

            path = write_report()
            progress(f"\nreport: {path.relative_to(ROOT)}")
        progress(f"make bench finished in {total / 60:.1f} min")
        return 0 if all(step["ok"] for step in steps.values()) else 1
    finally:
        server.cleanup()


async def _server_version(base: str) -> str:
    import asyncpg

    conn = await asyncpg.connect(base)
    try:
        return str(await conn.fetchval("SELECT version()"))
    finally:
        await conn.close()


if __name__ == "__main__":
    sys.exit(main())
