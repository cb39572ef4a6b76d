"""Slow-query log, import hygiene of a function, and the local dispatcher of `make dev`."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import time

import httpx
from sqlalchemy import text
from structlog.testing import capture_logs

from devkit.processes import PYTHON, ROOT, free_port, subprocess_env
from lib.core.config import get_settings
from lib.core.db import create_engine_for


async def test_slow_query_log_has_statement_and_duration_but_no_values(database_url: str) -> None:
    settings = dataclasses.replace(get_settings(), slow_query_ms=0)
    engine = create_engine_for(settings, database_url)
    try:
        with capture_logs() as logs:
            async with engine.connect() as conn:
                value = await conn.scalar(
                    text("SELECT length(:probe)"), {"probe": "value-that-must-not-be-logged"}
                )
        assert value == len("value-that-must-not-be-logged")
    finally:
        await engine.dispose()
    slow = [entry for entry in logs if entry["event"] == "slow_query" and "length" in entry["statement"]]
    assert slow, logs
    assert slow[0]["duration_ms"] >= 0
    assert "value-that-must-not-be-logged" not in json.dumps(logs, default=str)


IMPORT_PROBE = """
import sys, json
import asyncpg
calls = []
original = asyncpg.connect
def spy(*args, **kwargs):
    calls.append(1)
    return original(*args, **kwargs)
asyncpg.connect = spy
import asyncpg.connection
asyncpg.connection.connect = spy
import api.health
import lib.core.db
HEAVY = ("argon2", "jwt", "httpx", "lib.core.tokens", "lib.core.passwords", "uvicorn")
print(json.dumps({"connects": len(calls), "engines": len(lib.core.db._engines),
                  "api_modules": sorted(m for m in sys.modules if m.startswith("api.")),
                  "heavy": sorted(m for m in HEAVY if m in sys.modules)}))
"""


def test_importing_a_function_connects_to_nothing_and_imports_no_other_function(database_url: str) -> None:
    run = subprocess.run(
        [PYTHON, "-c", IMPORT_PROBE],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    probe = json.loads(run.stdout.strip().splitlines()[-1])
    assert probe == {"connects": 0, "engines": 0, "api_modules": ["api.health"], "heavy": []}


def test_make_dev_dispatcher_serves_health(database_url: str) -> None:
    port = free_port()
    server = subprocess.Popen(
        [PYTHON, str(ROOT / "scripts/dev.py"), "--skip-setup", "--port", str(port)],
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "dev server did not start"
                time.sleep(0.2)
        assert response.status_code == 200
        assert response.json()["status"] == "ok" and response.json()["database"] == "ok"
        assert httpx.get(f"http://127.0.0.1:{port}/requirements.txt", timeout=2).status_code == 404
    finally:
        server.terminate()
        server.wait(timeout=20)
