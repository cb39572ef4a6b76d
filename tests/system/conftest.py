"""Fixtures of the system tests: a throwaway PostgreSQL for the fault scenarios, the bad-input guard."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import Account
from tests.system.bad_input_support import row_counts
from tests.system.faults_support import FAULTS_DB, Throwaway, migrate


@pytest.fixture(scope="module")
def throwaway() -> Iterator[Throwaway]:
    """An embedded PostgreSQL of the requesting test module only (migrated): stopping it hurts no other."""
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


@pytest.fixture
async def unchanged(client: httpx.AsyncClient, alice: Account, admin: Account) -> AsyncIterator[None]:
    """Asserts, after the test, that no data table gained or lost a row."""
    before = await row_counts()
    yield
    assert await row_counts() == before
