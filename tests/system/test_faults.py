"""Database faults against a warm function: outage, a suspended compute, killed backends.

Every scenario runs real processes: a throwaway embedded PostgreSQL of its own (stopped and
started with pg_ctl), the `make dev` server (`scripts/dev.py --skip-setup`) as the warm
function, and, for the suspended compute, a loopback TCP proxy in this test process.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import asyncpg
import httpx
import pytest

from tests import log_hygiene
from tests.support import DEFAULT_PASSWORD, PYTHON, ROOT, free_port, subprocess_env

CONNECT_TIMEOUT = 2.0  # DB_CONNECT_TIMEOUT of the function under test
SLACK = 3.0  # a 503 must come within the connect timeout plus this
FAULTS_DB = "faults"
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
async def dev_server(name: str, **env: str):  # type: ignore[no-untyped-def]
    server = DevServer(name, **env)
    try:
        await server.wait_listening()
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            yield server, http
    finally:
        server.stop()


# --- the throwaway PostgreSQL ------------------------------------------------------------------


@dataclass
class Throwaway:
    """An embedded PostgreSQL of this module only: stopping it hurts no other test."""

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


@pytest.fixture(scope="module")
def throwaway() -> Iterator[Throwaway]:
    from devkit.localdb import ensure_database, start_server

    root = Path(tempfile.mkdtemp(prefix="launchpad-faults-"))
    try:
        handle = start_server(root / "pg", cleanup_mode="delete")
        pg = Throwaway(
            handle=handle,
            data_dir=Path(handle.pgdata),
            base_url=handle.get_uri(),
            socket_path=handle.get_postmaster_info().socket_path,
            system_user=handle.system_user,
        )
        try:
            ensure_database(pg.base_url, FAULTS_DB, fresh=True)
            run = migrate(pg.url(FAULTS_DB))
            assert run.returncode == 0, run.stderr
            yield pg
        finally:
            # pgserver stops only the postmaster it started; after a restart that is another
            # process: stop whatever runs on the data dir, then let pgserver delete the dir.
            if pg.is_running():
                pg.pg_ctl("-w", "-m", "immediate", "stop")
            handle._postmaster_info = None
            handle.cleanup()
    finally:
        shutil.rmtree(root, ignore_errors=True)


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


# --- 1. the database goes away and comes back --------------------------------------------------


async def test_outage_answers_503_then_recovers_without_a_restart(throwaway: Throwaway, capsys) -> None:  # type: ignore[no-untyped-def]
    headers = await make_user(throwaway.url(FAULTS_DB), "outage@example.com")
    # Default DB_IDLE_PING_SECONDS (10 s): recovery must not depend on pinging every checkout.
    async with dev_server(
        "outage", DATABASE_URL=throwaway.url(FAULTS_DB), DB_CONNECT_TIMEOUT=str(CONNECT_TIMEOUT)
    ) as (server, http):
        # Warm: modules loaded, and several pooled connections open (concurrent requests).
        warm = await asyncio.gather(*(http.get("/api/auth/me", headers=headers) for _ in range(8)))
        assert [r.status_code for r in warm] == [200] * 8, warm[0].text
        assert (await http.get("/api/health")).json()["database"] == "ok"

        throwaway.stop()
        down = []
        for path, kwargs in [("/api/health", {}), ("/api/auth/me", {"headers": headers})] * 3:
            response, seconds = await timed(http, path, **kwargs)
            assert_unavailable(response, seconds)
            down.append(seconds)

        throwaway.start()
        up = []
        for path, kwargs in [("/api/health", {}), ("/api/auth/me", {"headers": headers})] * 3:
            response, _ = await timed(http, path, **kwargs)
            up.append(response.status_code)
        burst = await asyncio.gather(*(http.get("/api/auth/me", headers=headers) for _ in range(8)))
        assert server.process.poll() is None, "the function restarted"
        pid = server.process.pid
    assert up == [200] * 6, up
    assert [r.status_code for r in burst] == [200] * 8
    assert "database_unavailable" in server.output
    assert "unhandled_error" not in server.output and "Traceback" not in server.output
    summary(
        capsys,
        f"outage: 6 requests while down, all 503 in <= {max(down):.2f} s "
        f"({', '.join(unavailable_errors(server.output))}); "
        f"after restart 6 sequential + 8 concurrent all 200 (pid {pid} unchanged)",
    )


# --- 2. a suspended compute: refuses, then accepts but stalls, then works ----------------------


class SuspendedCompute:
    """A loopback TCP endpoint in front of the throwaway server's unix socket.

    `refusing` (no listener: ECONNREFUSED) -> `listen()`: connections are accepted but held
    (the bytes the client sends are buffered, nothing is answered, as while a Neon compute
    wakes) -> `release()`: held and new connections are forwarded.
    """

    def __init__(self, socket_path: Path) -> None:
        self.socket_path = socket_path
        # Bound but not listening: the port is ours (no other process can take it) and refuses.
        self.socket = socket.socket()
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.server: asyncio.Server | None = None
        self.released = asyncio.Event()
        self.accepted = 0
        self.abandoned = 0  # held connections the client gave up on (its connect timeout)
        self.changed = asyncio.Condition()
        self.tasks: set[asyncio.Task[None]] = set()

    def url(self, database: str, **query: str) -> str:
        suffix = "&".join(f"{name}={value}" for name, value in query.items())
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}" + (f"?{suffix}" if suffix else "")

    async def listen(self) -> None:
        self.server = await asyncio.start_server(self._accept, sock=self.socket)

    def release(self) -> None:
        self.released.set()

    async def wait_for(self, predicate: Any, seconds: float) -> None:
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(predicate), seconds)

    async def _bump(self, name: str) -> None:
        async with self.changed:
            setattr(self, name, getattr(self, name) + 1)
            self.changed.notify_all()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        try:
            await self._bump("accepted")
            pending = bytearray()
            released = asyncio.ensure_future(self.released.wait())
            try:
                while not self.released.is_set():
                    read = asyncio.ensure_future(reader.read(65536))
                    await asyncio.wait({read, released}, return_when=asyncio.FIRST_COMPLETED)
                    if not read.done():
                        read.cancel()  # a cancelled StreamReader.read consumes nothing
                        continue
                    chunk = read.result()
                    if not chunk:
                        await self._bump("abandoned")
                        return
                    pending += chunk
            finally:
                released.cancel()
            up_reader, up_writer = await asyncio.open_unix_connection(str(self.socket_path))
            up_writer.write(bytes(pending))
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            self.tasks.discard(task)

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        self.socket.close()
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=5)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def test_migrate_waits_for_a_suspended_compute(throwaway: Throwaway, capsys) -> None:  # type: ignore[no-untyped-def]
    from devkit.localdb import ensure_database
    from scripts.migrate import alembic_config, head_revision

    await asyncio.to_thread(ensure_database, throwaway.base_url, "faults_migrate", fresh=True)
    compute = SuspendedCompute(throwaway.socket_path)
    # connect_timeout=2 in the URL: the migration's connect attempt gives up on a stalled compute.
    env = function_env(DATABASE_URL=compute.url("faults_migrate", connect_timeout="2"))
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        PYTHON,
        str(ROOT / "scripts" / "migrate.py"),
        "--wait",
        "30",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None and process.stdout is not None
    lines: list[str] = []
    refused = asyncio.Event()

    async def read_stderr() -> None:
        assert process.stderr is not None
        while line := await process.stderr.readline():
            lines.append(line.decode(errors="replace").rstrip())
            if "ConnectionRefusedError" in lines[-1]:
                refused.set()

    reader = asyncio.ensure_future(read_stderr())
    try:
        await asyncio.wait_for(refused.wait(), 30)  # phase 1: nothing listens
        await compute.listen()  # phase 2: accepted, never answered
        await compute.wait_for(lambda: compute.abandoned >= 1, 30)  # migrate's connect timed out
        compute.release()  # phase 3: the compute is awake
        stdout = (await asyncio.wait_for(process.stdout.read(), 60)).decode()
        code = await asyncio.wait_for(process.wait(), 30)
        await asyncio.wait_for(reader, 10)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        reader.cancel()
        await compute.close()
    elapsed = time.monotonic() - started
    log_hygiene.scan_text("migrate.py via suspended compute", stdout + "\n".join(lines))
    retries = [line for line in lines if "database not reachable yet" in line]
    assert code == 0, "\n".join(lines)
    assert any("ConnectionRefusedError" in line for line in retries), lines
    assert any("TimeoutError" in line for line in retries), lines
    head = head_revision(alembic_config())
    assert f"revision after: {head}" in stdout
    conn = await asyncpg.connect(throwaway.url("faults_migrate"))
    try:
        assert await conn.fetchval("SELECT version_num FROM alembic_version") == head
    finally:
        await conn.close()
    summary(
        capsys,
        f"migrate --wait 30: {len(retries)} retries (refused, timed out), then head in {elapsed:.1f} s",
    )


async def test_health_goes_503_then_ok_as_the_compute_wakes(throwaway: Throwaway, capsys) -> None:  # type: ignore[no-untyped-def]
    compute = SuspendedCompute(throwaway.socket_path)
    try:
        async with dev_server(
            "suspended",
            DATABASE_URL=compute.url(FAULTS_DB),
            DB_CONNECT_TIMEOUT=str(CONNECT_TIMEOUT),
            DB_POOLER="off",
        ) as (server, http):
            # Refused: answered at once.
            response, refused_s = await timed(http, "/api/health")
            assert_unavailable(response, refused_s)

            # Accepted but stalled longer than the connect timeout: 503 once the timeout fires.
            await compute.listen()
            response, stalled_s = await timed(http, "/api/health")
            assert_unavailable(response, stalled_s)
            await compute.wait_for(lambda: compute.abandoned >= 1, 10)  # it gave up on the stalled one

            # Stalled, then the compute wakes within the timeout: the same request succeeds.
            accepted = compute.accepted
            waking = asyncio.ensure_future(timed(http, "/api/health"))
            await compute.wait_for(lambda: compute.accepted > accepted, 10)
            compute.release()
            response, waking_s = await asyncio.wait_for(waking, CONNECT_TIMEOUT + SLACK)
            assert response.status_code == 200, response.text
            assert response.json()["database"] == "ok"
            after = [(await http.get("/api/health")).status_code for _ in range(3)]
            assert after == [200] * 3
    finally:
        await compute.close()
    summary(
        capsys,
        f"suspended compute: refused -> 503 in {refused_s:.2f} s; stalled -> 503 in {stalled_s:.2f} s; "
        f"woke -> 200 in {waking_s:.2f} s ({', '.join(unavailable_errors(server.output))})",
    )


# --- 3. backends killed server-side ------------------------------------------------------------


async def function_backends(throwaway: Throwaway, app_name: str) -> list[int]:
    conn = await asyncpg.connect(throwaway.base_url)
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2",
            FAULTS_DB,
            app_name,
        )
        return [row["pid"] for row in rows]
    finally:
        await conn.close()


async def terminate_backends(throwaway: Throwaway, app_name: str) -> int:
    conn = await asyncpg.connect(throwaway.base_url)
    try:
        killed = await conn.fetchval(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = $1 AND application_name = $2 AND pid <> pg_backend_pid()",
            FAULTS_DB,
            app_name,
        )
        deadline = time.monotonic() + 10
        while await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2",
            FAULTS_DB,
            app_name,
        ):
            assert time.monotonic() < deadline, "terminated backends did not go away"
            await asyncio.sleep(0.05)
        return int(killed)
    finally:
        await conn.close()


@pytest.mark.parametrize(
    ("idle_ping", "max_failures"),
    [
        pytest.param(None, 0, id="default-idle-ping"),
        pytest.param("0", 0, id="ping-every-checkout"),
    ],
)
async def test_terminated_backends_are_replaced_before_any_request_uses_them(  # type: ignore[no-untyped-def]
    throwaway: Throwaway, idle_ping: str | None, max_failures: int, capsys
) -> None:
    app_name = f"faults-fn-{idle_ping or 'default'}"
    headers = await make_user(throwaway.url(FAULTS_DB), "terminated@example.com")
    env = {"DATABASE_URL": throwaway.url(FAULTS_DB, application_name=app_name), "DB_POOLER": "off"}
    if idle_ping is not None:
        env["DB_IDLE_PING_SECONDS"] = idle_ping
    async with dev_server(f"terminate-{idle_ping or 'default'}", **env) as (server, http):
        warm = await asyncio.gather(*(http.get("/api/auth/me", headers=headers) for _ in range(10)))
        assert [r.status_code for r in warm] == [200] * 10
        pooled = len(await function_backends(throwaway, app_name))
        assert 1 <= pooled <= 5, pooled

        killed = await terminate_backends(throwaway, app_name)
        assert killed == pooled

        statuses = []
        for i in range(10):
            path, kwargs = ("/api/auth/me", {"headers": headers}) if i % 2 else ("/api/health", {})
            response, seconds = await timed(http, path, **kwargs)
            statuses.append(response.status_code)
            if response.status_code != 200:
                assert_unavailable(response, seconds)
        burst = await asyncio.gather(*(http.get("/api/auth/me", headers=headers) for _ in range(10)))
        assert server.process.poll() is None
    failures = [s for s in statuses if s != 200]
    assert 500 not in statuses, statuses
    assert len(failures) <= max_failures, statuses
    first_ok = statuses.index(200)
    assert statuses[first_ok:] == [200] * (10 - first_ok), statuses  # nothing fails after recovery
    assert [r.status_code for r in burst] == [200] * 10
    assert "unhandled_error" not in server.output and "Traceback" not in server.output
    summary(
        capsys,
        f"pg_terminate_backend (idle ping {idle_ping or 'default'}): killed {killed} pooled connections; "
        f"next 10 requests {statuses} {unavailable_errors(server.output)}",
    )


def test_throwaway_server_has_its_own_data_dir(throwaway: Throwaway) -> None:
    """Guard: the server these tests stop is never the suite's shared one."""
    shared = os.environ.get("DATABASE_URL", "")
    host = parse_qs(urlparse(shared).query).get("host", [""])[0]
    assert str(throwaway.socket_path.parent) != host
