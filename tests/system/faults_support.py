"""What the database-fault tests share: a throwaway PostgreSQL of their own and their checks."""

from __future__ import annotations

import re
import shlex
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from devkit.processes import PYTHON, ROOT
from tests import log_hygiene
from tests.support import DEFAULT_PASSWORD, function_env

CONNECT_TIMEOUT = 2.0  # DB_CONNECT_TIMEOUT of the function under test
SLACK = 3.0  # a 503 must come within the connect timeout plus this
FAULTS_DB = "faults"


@dataclass
class Throwaway:
    """An embedded PostgreSQL of one test module only: stopping it hurts no other test."""

    handle: Any
    data_dir: Path
    base_url: str
    socket_path: Path
    system_user: str | None

    def url(self, database: str, **query: str) -> str:
        from devkit.localdb import database_url

        url = database_url(self.base_url, database)
        return url + "".join(f"&{name}={value}" for name, value in query.items())

    def pg_ctl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """pg_ctl on this data dir, as the user pgserver runs PostgreSQL as (`pgserver` under root).

        Output goes to files, never pipes: a started postmaster inherits them and would keep
        a pipe open (pgserver's own note).
        """
        from pgserver._commands import POSTGRES_BIN_PATH

        with tempfile.TemporaryFile("w+") as out:
            run = subprocess.run(
                [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.data_dir), *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=timeout,
                user=self.system_user,
                check=False,
            )
            out.seek(0)
            return subprocess.CompletedProcess(run.args, run.returncode, out.read(), "")

    def stop(self) -> None:
        run = self.pg_ctl("-w", "-m", "fast", "stop")
        assert run.returncode == 0, run.stdout

    def start(self) -> None:
        """Start it again with the options pgserver started it with (from postmaster.opts)."""
        recorded = shlex.split((self.data_dir / "postmaster.opts").read_text())
        options, skip = [], False
        for arg in recorded[1:]:  # [0] is the postgres binary
            if skip:
                skip = False
            elif arg == "-D":
                skip = True  # pg_ctl passes -D itself
            else:
                options.append(arg)
        run = self.pg_ctl(
            "-w", "-t", "30", "-l", str(self.data_dir / "log"), "-o", shlex.join(options), "start"
        )
        assert run.returncode == 0, run.stdout

    def is_running(self) -> bool:
        return self.pg_ctl("status").returncode == 0


def migrate(url: str, wait: str = "10") -> subprocess.CompletedProcess[str]:
    run = subprocess.run(
        [PYTHON, str(ROOT / "scripts" / "migrate.py"), "--wait", wait],
        env=function_env(DATABASE_URL=url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    log_hygiene.scan_text("migrate.py", run.stdout + run.stderr)
    return run


async def make_user(url: str, email: str) -> dict[str, str]:
    """A user row in the throwaway database and the auth header of a real token for it."""
    from lib.core.tokens import create_access_token
    from tests.support import _password_hash

    conn = await asyncpg.connect(url)
    try:
        user_id = await conn.fetchval(
            "INSERT INTO users (email, password_hash, full_name) VALUES ($1, $2, 'Fault Tester') "
            "ON CONFLICT DO NOTHING RETURNING id",
            email,
            _password_hash(DEFAULT_PASSWORD),
        )
        if user_id is None:
            user_id = await conn.fetchval("SELECT id FROM users WHERE email = $1", email)
    finally:
        await conn.close()
    token, _ = create_access_token(user_id)
    return {"Authorization": f"Bearer {token}"}


async def timed(http: httpx.AsyncClient, path: str, **kwargs: Any) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = await http.get(path, **kwargs)
    return response, time.perf_counter() - started


def assert_unavailable(response: httpx.Response, seconds: float) -> None:
    """A clean 503: the error shape, Retry-After, quickly, and no internals in the body."""
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "service_unavailable"
    assert response.headers["retry-after"].isdigit()
    assert response.headers["x-request-id"] == response.json()["error"]["request_id"]
    assert "Traceback" not in response.text and "asyncpg" not in response.text
    assert seconds < CONNECT_TIMEOUT + SLACK, f"503 took {seconds:.2f} s"


def unavailable_errors(output: str) -> list[str]:
    """The exception types the function logged with `database_unavailable`, in order."""
    return re.findall(r"database_unavailable\s.*?error=(\w+)", output)


def summary(capsys: pytest.CaptureFixture[str], text: str) -> None:
    with capsys.disabled():
        print(f"\n[faults] {text}")
