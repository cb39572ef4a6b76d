"""Database faults against a warm function: the database goes away and comes back.

Every scenario runs real processes: a throwaway embedded PostgreSQL of its own (stopped and
started with pg_ctl) and the `make dev` server (`scripts/dev.py --skip-setup`) as the warm function.
"""

from __future__ import annotations

import asyncio
import os
from urllib.parse import parse_qs, urlparse

from tests.support import dev_server
from tests.system.faults_support import (
    CONNECT_TIMEOUT,
    FAULTS_DB,
    Throwaway,
    assert_unavailable,
    make_user,
    summary,
    timed,
    unavailable_errors,
)


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


def test_throwaway_server_has_its_own_data_dir(throwaway: Throwaway) -> None:
    """Guard: the server these tests stop is never the suite's shared one."""
    shared = os.environ.get("DATABASE_URL", "")
    host = parse_qs(urlparse(shared).query).get("host", [""])[0]
    assert str(throwaway.socket_path.parent) != host
