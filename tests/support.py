"""Helpers shared by the tests: accounts, the API's error shape, rows made or moved, a dev server."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from devkit.processes import PYTHON, ROOT, free_port, subprocess_env

DEFAULT_PASSWORD = "correct horse battery"
CHROMIUM = Path("/usr/bin/chromium")  # Debian's, driven headless by playwright-core


def require_tools(*needs: str) -> None:
    """Skip a test whose tools are missing, naming them; under CI that is a failure (.ci/run installs them).

    A need is `node`, `chromium`, or `node_modules/<package>`.
    """
    present = {"node": shutil.which("node") is not None, "chromium": os.access(CHROMIUM, os.X_OK)}
    missing = [
        need
        for need in needs
        if not present.get(
            need, need.startswith("node_modules/") and (ROOT / need / "package.json").is_file()
        )
    ]
    if missing:
        import pytest

        reason = (
            f"{' and '.join(missing)} missing: apt-get install nodejs npm chromium; npm ci (.ci/run does)"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


# --- accounts -----------------------------------------------------------------------------------


class Account:
    """A registered user as the tests drive it: id, email, password and auth header."""

    def __init__(self, user_id: int, email: str, password: str, token: str) -> None:
        self.id, self.email, self.password, self.token = user_id, email, password, token
        self.headers = {"Authorization": f"Bearer {token}"}


async def register(
    client: httpx.AsyncClient, email: str, password: str = DEFAULT_PASSWORD, name: str = "Test User"
) -> Account:
    """Sign up through the API (what test_auth exercises); costs one Argon2 hash."""
    response = await client.post(
        "/api/auth/register", json={"email": email, "password": password, "full_name": name}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Account(body["user"]["id"], email, password, body["access_token"])


@functools.cache
def _password_hash(password: str) -> str:
    from lib.core.passwords import hash_password

    return hash_password(password)


async def create_account(
    email: str, name: str = "Test User", *, admin: bool = False, password: str = DEFAULT_PASSWORD
) -> Account:
    """A user row plus a real access token, without paying Argon2 per test (the hash is cached)."""
    from lib.core.db import session
    from lib.core.tokens import create_access_token
    from lib.models.users import User

    async with session() as db:
        user = User(
            email=email.lower(), password_hash=_password_hash(password), full_name=name, is_admin=admin
        )
        db.add(user)
        await db.flush()
        user_id = user.id
    token, _ = create_access_token(user_id)
    return Account(user_id, email.lower(), password, token)


async def make_admin(client: httpx.AsyncClient | None = None, email: str = "admin@example.com") -> Account:
    """An admin account (the seed script makes the first one the same way: straight in the database)."""
    return await create_account(email, "Admin", admin=True)


# --- the API's error shape -------------------------------------------------------------------------


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The exact status, the API's one JSON error shape and the request id in body and header."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details", "request_id"}
    assert body["error"]["code"] == code
    assert body["error"]["request_id"]
    assert body["error"]["request_id"] == response.headers["x-request-id"]
    error: dict[str, Any] = body["error"]
    return error


def cursor_of(value: Any) -> str:
    """A cursor in the server's encoding (urlsafe base64 of JSON, unpadded) around any JSON value."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def error_locs(response: httpx.Response) -> list[tuple[Any, ...]]:
    """A 422 `validation_error` (checked as assert_error does): the `loc` of each detail, in order."""
    return [tuple(item["loc"]) for item in assert_error(response, 422, "validation_error")["details"]]


# --- rows made or moved straight in the database ---------------------------------------------------


async def make_project(client: httpx.AsyncClient, account: Account, title: str = "Smart farm") -> int:
    """A project of `account`, created through the API; its id."""
    response = await client.post(
        "/api/projects", json={"title": title, "category": "iot"}, headers=account.headers
    )
    assert response.status_code == 201, response.text
    project_id: int = response.json()["id"]
    return project_id


async def make_plan(
    name: str = "Basic", price_cents: int = 49_900, currency: str = "INR", is_active: bool = True
) -> int:
    """A plan row (plans are admin-made; the tests skip the API); its id."""
    from lib.core.db import session
    from lib.models.plans import Plan

    async with session() as db:
        plan = Plan(name=name, price_cents=price_cents, currency=currency, is_active=is_active)
        db.add(plan)
        await db.flush()
        plan_id: int = plan.id
        return plan_id


async def force_status(model: Any, row_id: int, status: str, **values: Any) -> None:
    """Put row `row_id` of `model` straight into `status` (as earlier moves would have left it).

    `values` sets other columns in the same UPDATE, e.g. `updated_at=Model.created_at` (unedited).
    """
    from sqlalchemy import update

    from lib.core.db import session

    async with session() as db:
        await db.execute(update(model).where(model.id == row_id).values(status=status, **values))


async def activity_rows(**filters: object) -> list[Any]:
    """The activity_logs rows whose columns equal `filters`, oldest first."""
    from sqlalchemy import select

    from lib.core.db import session
    from lib.models.activity_logs import ActivityLog

    async with session() as db:
        statement = select(ActivityLog).order_by(ActivityLog.id)
        for name, value in filters.items():
            statement = statement.where(getattr(ActivityLog, name) == value)
        return list((await db.scalars(statement)).all())


async def wait_for_lock_waiters(table: str, count: int) -> None:
    """Wait (5 s at most) until `count` UPDATEs of `table` are blocked on a row lock (in a CTE or not)."""
    from sqlalchemy import text

    from lib.core.db import session

    for _ in range(250):
        # A new transaction each time: pg_stat_activity is a snapshot within one.
        async with session() as db:
            waiting = await db.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND query ILIKE :update"
                ),
                {"update": f"%UPDATE {table} %"},
            )
        if waiting >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"expected {count} UPDATEs waiting on a row lock of {table}")


# --- the `make dev` server as a subprocess --------------------------------------------------------

# What a subprocess must not inherit from a `--via-pgbouncer` run: it picks its own target.
INHERITED_DB_SETTINGS = ("DATABASE_URL", "DATABASE_URL_UNPOOLED", "DB_POOLER", "DB_POOL_SIZE")


def function_env(**overrides: str) -> dict[str, str]:
    """The environment of a subprocess aimed at one database (nothing inherited about the DB)."""
    env = subprocess_env()
    for name in INHERITED_DB_SETTINGS:
        env.pop(name, None)
    env.update(overrides)
    return env


class DevServer:
    """`scripts/dev.py --skip-setup` on a free loopback port: a warm function, as on Vercel.

    Its output goes to a file (never an undrained pipe), which the log-hygiene plugin scans
    when the server stops.
    """

    def __init__(self, name: str, **env: str) -> None:
        self.name = name
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        fd, path = tempfile.mkstemp(prefix=f"launchpad-{name}-", suffix=".log")
        self.log_path = Path(path)
        try:
            self.process = subprocess.Popen(
                [PYTHON, str(ROOT / "scripts" / "dev.py"), "--skip-setup", "--port", str(self.port)],
                env=function_env(**env),
                stdout=fd,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
        finally:
            os.close(fd)  # the server has its own copy
        self.output = ""

    async def wait_listening(self, seconds: float = 30.0) -> None:
        deadline = time.monotonic() + seconds
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"dev server exited early:\n{self.read_log()}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"dev server did not listen within {seconds} s:\n{self.read_log()}")
            await asyncio.sleep(0.05)

    def read_log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> str:
        from tests import log_hygiene

        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.output = self.read_log()
        self.log_path.unlink(missing_ok=True)
        log_hygiene.scan_text(f"dev server {self.name}", self.output)
        return self.output


@contextlib.asynccontextmanager
async def dev_server(name: str, **env: str) -> AsyncIterator[tuple[DevServer, httpx.AsyncClient]]:
    """A listening DevServer and a client of it; stopped (and its log scanned) on exit."""
    server = DevServer(name, **env)
    try:
        await server.wait_listening()
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            yield server, http
    finally:
        server.stop()
