"""Database faults: backends killed server-side are replaced before any request uses them."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest

from tests.support import dev_server
from tests.system.faults_support import (
    FAULTS_DB,
    Throwaway,
    assert_unavailable,
    make_user,
    summary,
    timed,
    unavailable_errors,
)


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
