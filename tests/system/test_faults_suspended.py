"""Database faults: a suspended compute refuses, then accepts but stalls, then works.

A loopback TCP proxy in this test process plays the compute in front of a throwaway embedded
PostgreSQL; `scripts/migrate.py` and the `make dev` server run as real processes against it.
"""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path
from typing import Any

import asyncpg

from devkit.processes import PYTHON, ROOT
from tests import log_hygiene
from tests.support import dev_server, function_env
from tests.system.faults_support import (
    CONNECT_TIMEOUT,
    FAULTS_DB,
    SLACK,
    Throwaway,
    assert_unavailable,
    summary,
    timed,
    unavailable_errors,
)


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
