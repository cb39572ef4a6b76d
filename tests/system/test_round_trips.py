"""Round trips per request, counted on the wire between a warm function and PostgreSQL."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from devkit.processes import PYTHON, ROOT, free_port, subprocess_env
from devkit.wire import RoundTripProxy
from tests.support import create_account

# BEGIN, user, INSERT, COMMIT; then BEGIN, activity INSERT, COMMIT: each statement a Parse+Sync pair.
WRITE_BEHIND_LEGACY_POOLER = 10


def _serve_through(
    proxy: RoundTripProxy, database: str, pooler: str, **settings: str
) -> tuple[str, subprocess.Popen]:
    port = free_port()
    env = subprocess_env(DATABASE_URL=proxy.url(database), DB_POOLER=pooler, LOG_LEVEL="warning", **settings)
    server = subprocess.Popen(
        [PYTHON, str(ROOT / "scripts/dev.py"), "--skip-setup", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{base}/api/health", timeout=2)
            return base, server
        except httpx.TransportError:
            assert server.poll() is None and time.monotonic() < deadline, "dev server did not start"
            time.sleep(0.2)


@pytest.fixture(scope="module")
def counted_server(pg_server: str, database_url: str) -> Iterator[tuple[str, RoundTripProxy]]:
    """The dev server (every function) talking to the test database through the counting proxy."""
    from tests.conftest import TEST_DB

    proxy = RoundTripProxy(pg_server)
    base, server = _serve_through(proxy, TEST_DB, "off")
    yield base, proxy
    server.terminate()
    server.wait(timeout=20)
    proxy.close()


@pytest.fixture(scope="module")
def counted_prepared_server(prepared_pgbouncer, database_url: str) -> Iterator[tuple[str, RoundTripProxy]]:
    """The same, with Neon's kind of pooler (PgBouncer, prepared statements) between proxy and database."""
    from tests.conftest import TEST_DB

    proxy = RoundTripProxy(prepared_pgbouncer.url(TEST_DB))
    base, server = _serve_through(proxy, TEST_DB, "prepared")
    yield base, proxy
    server.terminate()
    server.wait(timeout=20)
    proxy.close()


@pytest.fixture(scope="module")
def counted_legacy_server(legacy_pgbouncer, database_url: str) -> Iterator[tuple[str, RoundTripProxy]]:
    """The same, with an older pooler (no prepared statements) and the legacy engine settings."""
    from tests.conftest import TEST_DB

    proxy = RoundTripProxy(legacy_pgbouncer.url(TEST_DB))
    base, server = _serve_through(proxy, TEST_DB, "legacy")
    yield base, proxy
    server.terminate()
    server.wait(timeout=20)
    proxy.close()


def measure(proxy: RoundTripProxy, send) -> tuple[int, list[str]]:  # type: ignore[no-untyped-def]
    """Round trips of one warm request (run twice first so prepared statements are cached)."""
    send()
    send()
    proxy.reset()
    response = send()
    assert response.status_code < 400, response.text
    time.sleep(0.05)  # let the proxy thread note the last bytes
    return proxy.round_trips(), list(proxy.statements)


def _get_list_write(
    base: str, proxy: RoundTripProxy, headers: dict[str, str]
) -> dict[str, tuple[int, list[str]]]:
    with httpx.Client(base_url=base, headers=headers, timeout=10) as http:
        project = http.post("/api/projects", json={"title": "Wire", "category": "web"}).json()
        return {
            "get": measure(proxy, lambda: http.get(f"/api/projects/{project['id']}")),
            "list": measure(proxy, lambda: http.get("/api/projects?status=draft")),
            "write": measure(
                proxy, lambda: http.post("/api/projects", json={"title": "More", "category": "web"})
            ),
        }


async def test_round_trips_per_request(counted_server, client) -> None:
    base, proxy = counted_server
    user = await create_account("wire@example.com", "Wire")
    trips = _get_list_write(base, proxy, user.headers)
    (get_trips, get_sql), (list_trips, _), (write_trips, write_sql) = (
        trips["get"],
        trips["list"],
        trips["write"],
    )
    # A read of one row: the caller's user row and the project in one statement; no BEGIN/COMMIT,
    # no ping for a busy connection.
    assert get_trips == 1, get_sql
    assert not any(s.strip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")) for s in get_sql), get_sql
    assert list_trips == 1  # a list: the caller and the page in one statement
    # A one-statement write: user, INSERT (atomic on its own), then its activity row.
    assert write_trips == 3, write_sql
    assert not any(s.strip().upper().startswith("BEGIN") for s in write_sql), write_sql


async def test_every_list_read_with_its_caller_costs_one_round_trip(counted_server, client) -> None:
    """Each list route that declares `reads=VisibleList(...)`, as a student and as an admin."""
    from api.openapi import all_endpoints
    from lib.rules.ownership import VisibleList

    base, proxy = counted_server
    paths = sorted(e.path for e in all_endpoints() if isinstance(e.reads, VisibleList))
    assert {"/api/meetings", "/api/notifications", "/api/ideas", "/api/files", "/api/orders"} <= set(paths)
    student = await create_account("lists@example.com", "Lists")
    admin = await create_account("lists-admin@example.com", "Admin", admin=True)
    for who in (student, admin):
        with httpx.Client(base_url=base, headers=who.headers, timeout=10) as http:
            trips = {
                path: measure(proxy, lambda path=path: http.get(path, params={"limit": 5})) for path in paths
            }
        assert {path: count for path, (count, _) in trips.items()} == dict.fromkeys(paths, 1), trips


async def test_round_trips_through_neons_kind_of_pooler_equal_direct(counted_prepared_server, client) -> None:
    base, proxy = counted_prepared_server
    user = await create_account("prepared@example.com", "Prepared")
    trips = _get_list_write(base, proxy, user.headers)
    # The pooler tracks prepared statements, so the cache works and no transaction is forced.
    assert {kind: count for kind, (count, _) in trips.items()} == {"get": 1, "list": 1, "write": 3}, trips
    assert not any(s.strip().upper().startswith("BEGIN") for _, sql in trips.values() for s in sql), trips


async def test_round_trips_behind_a_legacy_pooler(counted_legacy_server, client) -> None:
    base, proxy = counted_legacy_server
    user = await create_account("pooled@example.com", "Pooled")
    trips = _get_list_write(base, proxy, user.headers)
    get_trips, get_sql = trips["get"]
    # No statement cache behind this pooler: each statement is prepared (unnamed, so never closed)
    # then executed, inside BEGIN/COMMIT so both reach the same server connection.
    assert get_trips == 4, get_sql
    assert get_sql[0].upper().startswith("BEGIN") and get_sql[-1].upper().startswith("COMMIT")
    [read] = set(get_sql[1:-1])  # the caller and the project, one statement (prepared, then run)
    assert read.startswith("SELECT users.id") and "LEFT OUTER JOIN projects" in read, get_sql
    assert trips["list"][0] == 4 and trips["write"][0] == WRITE_BEHIND_LEGACY_POOLER, trips


@pytest.fixture(scope="module")
def counted_pinging_server(pg_server: str, database_url: str) -> Iterator[tuple[str, RoundTripProxy]]:
    """A server that pings every pooled connection it checks out (as after a long idle)."""
    from tests.conftest import TEST_DB

    proxy = RoundTripProxy(pg_server)
    base, server = _serve_through(proxy, TEST_DB, "off", DB_IDLE_PING_SECONDS="0")
    yield base, proxy
    server.terminate()
    server.wait(timeout=20)
    proxy.close()


async def test_a_ping_after_idle_costs_one_round_trip(counted_pinging_server, client) -> None:
    base, proxy = counted_pinging_server
    user = await create_account("ping@example.com", "Ping")
    with httpx.Client(base_url=base, headers=user.headers, timeout=10) as http:
        project = http.post("/api/projects", json={"title": "Ping", "category": "web"}).json()
        trips, statements = measure(proxy, lambda: http.get(f"/api/projects/{project['id']}"))
    assert trips == 2, statements  # the ping (SELECT 1, simple protocol), the user with the project
    assert statements == ["SELECT 1"]


async def test_an_anonymous_catalogue_read_and_its_304_cost_one_round_trip(counted_server, client) -> None:
    """The CDN-cacheable answer adds no query: its ETag is a hash of the body, not a database lookup."""
    base, proxy = counted_server
    admin = await create_account("wire-admin@example.com", "Admin", admin=True)
    with httpx.Client(base_url=base, timeout=10) as http:
        plan = http.post(
            "/api/plans", json={"name": "Wire", "price_cents": 100}, headers=admin.headers
        ).json()
        etag = http.get(f"/api/plans/{plan['id']}").headers["etag"]
        trips = {
            "list": measure(proxy, lambda: http.get("/api/plans")),
            "get": measure(proxy, lambda: http.get(f"/api/plans/{plan['id']}")),
            "304": measure(
                proxy, lambda: http.get(f"/api/plans/{plan['id']}", headers={"If-None-Match": etag})
            ),
            "docs": measure(proxy, lambda: http.get("/api/openapi.json")),
        }
    assert {kind: count for kind, (count, _) in trips.items()} == {
        "list": 1,
        "get": 1,
        "304": 1,
        "docs": 0,
    }, trips
