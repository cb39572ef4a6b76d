"""Test fixtures: a real PostgreSQL (embedded or TEST_DATABASE_URL), migrated once, clean per test."""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devkit.localdb import ensure_database, start_server
from devkit.pgbouncer import PgBouncer, PgBouncerMissing

# Settings are read once per process: fix them before any lib module reads them.
os.environ["LAUNCHPAD_LOCAL"] = "1"  # the tests run locally: development defaults apply (lib/core/config.py)
os.environ.setdefault("SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")
os.environ.setdefault("LOG_FORMAT", "console")
os.environ.pop("AI_API_URL", None)
os.environ.pop("AI_API_KEY", None)
os.environ["CRON_SECRET"] = "test-cron-secret-value"
# Mail the functions send in tests arrives as .eml files here (the tests read what arrived);
# the outbox tests point their own settings at a real SMTP server.
MAIL_DIR = Path(tempfile.mkdtemp(prefix="launchpad-mail-"))
os.environ["EMAIL_URL"] = f"local://{MAIL_DIR}"

TEST_DB = "launchpad_test"


def _server_base_url() -> tuple[str, object | None]:
    if url := os.environ.get("TEST_DATABASE_URL"):
        return url, None
    data_dir = Path(tempfile.mkdtemp(prefix="launchpad-pg-"))
    server = start_server(data_dir, cleanup_mode="delete")
    return server.get_uri(), server


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """The base URL of the test PostgreSQL server (maintenance database)."""
    base, server = _server_base_url()
    yield base
    if server is not None:
        server.cleanup()  # type: ignore[attr-defined]


# The two pooler configurations (devkit/pgbouncer.py); each is run with the DB_POOLER of its name.
POOLER_MODES = ("prepared", "legacy")
# The poolers this session started (printed by pytest_terminal_summary).
POOLERS_STARTED: list[str] = []


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--via-pgbouncer",
        action="store_true",
        help="run the functions through a local transaction-mode PgBouncer, as behind Neon's pooled URL "
        "(in the configuration --pgbouncer-mode picks; migrations stay direct)",
    )
    parser.addoption(
        "--pgbouncer-mode",
        choices=POOLER_MODES,
        default="prepared",
        help="prepared (default): Neon's pooler, PgBouncer >= 1.21 with max_prepared_statements = 1000, "
        "DB_POOLER=prepared; legacy: the same with max_prepared_statements = 0 (an older pooler), "
        "DB_POOLER=legacy. Picks the `pgbouncer` fixture and, with --via-pgbouncer, the suite's DATABASE_URL",
    )


def start_pgbouncer(server_url: str, mode: str = "prepared") -> PgBouncer:
    """A PgBouncer in front of the test server; skips where none can be obtained, fails in CI."""
    try:
        bouncer = PgBouncer(server_url, mode=mode)
    except PgBouncerMissing as missing:
        if os.environ.get("CI"):
            pytest.fail(f"pgbouncer: {missing}: CI must obtain it (.ci/run installs the build dependencies)")
        pytest.skip(f"pgbouncer: {missing}")
    POOLERS_STARTED.append(f"pgbouncer {mode}: {bouncer.obtained}")
    return bouncer


@pytest.fixture(scope="session")
def prepared_pgbouncer(pg_server: str) -> Iterator[PgBouncer]:
    """Neon's pooler: PgBouncer >= 1.21, transaction mode, max_prepared_statements = 1000."""
    bouncer = start_pgbouncer(pg_server, "prepared")
    yield bouncer
    bouncer.stop()


@pytest.fixture(scope="session")
def legacy_pgbouncer(pg_server: str) -> Iterator[PgBouncer]:
    """An older pooler: the same PgBouncer with max_prepared_statements = 0."""
    bouncer = start_pgbouncer(pg_server, "legacy")
    yield bouncer
    bouncer.stop()


@pytest.fixture(scope="session")
def pgbouncer(request: pytest.FixtureRequest) -> PgBouncer:
    """The run's transaction-mode PgBouncer (--pgbouncer-mode, default prepared), for the pooler tests."""
    bouncer: PgBouncer = request.getfixturevalue(f"{request.config.getoption('--pgbouncer-mode')}_pgbouncer")
    return bouncer


@pytest.fixture(scope="session")
def database_url(pg_server: str, request: pytest.FixtureRequest) -> str:
    """A freshly created and migrated test database; DATABASE_URL points at it.

    With --via-pgbouncer the functions reach it through the `pgbouncer` fixture's PgBouncer
    (transaction mode; DB_POOLER=prepared or legacy as --pgbouncer-mode says); migrations
    always run direct, as the deploy hook does on Neon.
    """
    direct = ensure_database(pg_server, TEST_DB, fresh=True)
    os.environ["DATABASE_URL"] = direct
    os.environ.pop("DATABASE_URL_UNPOOLED", None)
    from lib.core.config import get_settings
    from scripts.migrate import main as migrate_main

    get_settings.cache_clear()
    assert migrate_main(["--wait", "5"]) == 0
    if not request.config.getoption("--via-pgbouncer"):
        return direct
    bouncer: PgBouncer = request.getfixturevalue("pgbouncer")
    os.environ["DATABASE_URL"] = bouncer.url(TEST_DB)
    os.environ["DATABASE_URL_UNPOOLED"] = direct
    os.environ["DB_POOLER"] = request.config.getoption("--pgbouncer-mode")  # prepared | legacy
    get_settings.cache_clear()
    return os.environ["DATABASE_URL"]


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    """What could not be set up (grouped skip reasons, with how many tests each skipped)."""
    reasons: Counter[str] = Counter()
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reasons[reason.removeprefix("Skipped: ")] += 1
    terminalreporter.section("set-up", sep="-")
    for line in dict.fromkeys(POOLERS_STARTED):
        terminalreporter.write_line(line)
    for reason, count in reasons.most_common():
        terminalreporter.write_line(f"not set up: {reason} — {count} test{'s' * (count != 1)} skipped")
    if not reasons:
        terminalreporter.write_line("everything set up: 0 skipped")


@pytest.fixture(scope="session")
def storage() -> Iterator[dict[str, str]]:
    """The S3-compatible storage the functions keep files in: STORAGE_URL if set, else a local s3rver.

    s3rver (devkit/s3_server.py, from npm) checks presigned signatures, signed headers and expiry
    as real storage does; it skips the tests that need it where node is missing (fails in CI).
    """
    if os.environ.get("STORAGE_URL"):
        yield {name: os.environ.get(name, "") for name in ("STORAGE_URL", "STORAGE_ACCESS_KEY_ID")}
        return
    from devkit.s3_server import S3Server, S3ServerMissing
    from lib.core.config import get_settings

    try:
        server = S3Server(0, Path(tempfile.mkdtemp(prefix="launchpad-s3-"))).start()
    except S3ServerMissing as missing:
        if os.environ.get("CI"):
            pytest.fail(f"local S3 server: {missing}: CI must obtain it (.ci/run installs node and npm)")
        pytest.skip(f"local S3 server: {missing}")
    os.environ.update(server.env)
    get_settings.cache_clear()
    yield server.env
    server.stop()


@pytest.fixture(scope="session")
def make_database(pg_server: str):  # type: ignore[no-untyped-def]
    """Create an empty database with a given name on the test server; returns its URL."""

    def make(name: str) -> str:
        return ensure_database(pg_server, name, fresh=True)

    return make


def tables() -> str:
    """Every table of the models: a new table is emptied between tests without being listed here."""
    from lib.models import load_all

    return ", ".join(sorted(load_all().metadata.tables))


@pytest.fixture
async def db_clean(database_url: str) -> AsyncIterator[None]:
    """Every table empty before the test (the schema and migrations stay)."""
    from sqlalchemy import text

    from lib.core.db import session

    async with session() as db:
        await db.execute(text(f"TRUNCATE {tables()} RESTART IDENTITY CASCADE"))
    yield


@pytest.fixture(scope="session")
def dispatcher(database_url: str):  # type: ignore[no-untyped-def]
    """Every function behind one ASGI app, routed as vercel.json routes them (as `make dev`)."""
    from devkit.dispatcher import Dispatcher

    return Dispatcher()


@pytest.fixture
async def client(dispatcher, db_clean) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=dispatcher, client=("203.0.113.7", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def alice(client):  # type: ignore[no-untyped-def]
    from tests.support import create_account

    return await create_account("alice@example.com", "Alice")


@pytest.fixture
async def bob(client):  # type: ignore[no-untyped-def]
    from tests.support import create_account

    return await create_account("bob@example.com", "Bob")


@pytest.fixture
async def admin(client):  # type: ignore[no-untyped-def]
    from tests.support import create_account

    return await create_account("admin@example.com", "Admin", admin=True)


@pytest.fixture
def trust_proxies(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Call it with a number of trusted proxy hops (TRUSTED_PROXY_HOPS) for the rest of the test."""
    import dataclasses

    from lib.core import config

    def use(hops: int) -> None:
        swapped = dataclasses.replace(config.get_settings(), trusted_proxy_hops=hops)
        monkeypatch.setattr(config, "get_settings", lambda: swapped)

    return use


pytest_plugins = ["tests.log_hygiene"]  # no password, token or key in any log line: fails the run at its end


@pytest.fixture
def razorpay_mode(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Razorpay configured, its API answered by respx: every payment operation can succeed."""
    import respx

    from tests.functions.payments_support import RAZORPAY_API, use_razorpay

    use_razorpay(monkeypatch)
    with respx.mock(assert_all_called=False) as router:
        router.route(host="127.0.0.1").pass_through()  # the local S3 server is real
        router.post(f"{RAZORPAY_API}/orders").respond(200, json={"id": "order_RZPcheckout"})
        router.post(url__regex=rf"{RAZORPAY_API}/payments/.+/refund").respond(200, json={"id": "rfnd_1"})
        yield router
