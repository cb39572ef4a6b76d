"""Schemathesis against `/api/openapi.json` of a running dev server, as a user and as an admin.

Every documented operation gets schemathesis's deterministic coverage cases (boundary values,
missing and wrongly typed parameters) plus a bounded batch of generated requests, valid and
invalid. Each response must not be a 5xx, must use a status code the document lists for that
operation, and its content type and body must match the schema documented for that status; the
server must log no error either. Generation is seeded and derandomized, so CI replays the same
requests every run.

The schema is loaded eagerly from the document the functions build (the fixture checks that the
live `/api/openapi.json` is identical): schemathesis's lazy `schemathesis.pytest.from_fixture`
loader writes `Function._nodeid`, which pytest 9.2 no longer has.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from devkit.processes import PYTHON, ROOT, free_port, subprocess_env
from tests.support import create_account

SEED = 20240917
MAX_EXAMPLES = 15  # generated requests per operation and role (plus the schema's explicit examples)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ROLES = ("user", "admin")

# (role, operation label) -> requests sent; printed as the run's summary line.
SENT: Counter[tuple[str, str]] = Counter()


@pytest.fixture(scope="module")
def dev_server(database_url: str, fuzz_summary: None) -> Iterator[str]:
    """`scripts/dev.py --skip-setup` on a free port, against the test database."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="launchpad-fuzz-") as tmp:
        log_path = Path(tmp) / "server.log"
        with log_path.open("w") as log:
            server = subprocess.Popen(
                [PYTHON, str(ROOT / "scripts/dev.py"), "--skip-setup", "--port", str(port)],
                env=subprocess_env(LOG_FORMAT="json"),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        base_url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base_url}/api/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert server.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "dev server did not become healthy"
                time.sleep(0.2)
            # The requests below are generated from this very document.
            assert httpx.get(f"{base_url}/api/openapi.json", timeout=5).json() == DOCUMENT
            yield base_url
        finally:
            server.terminate()
            server.wait(timeout=20)
            # No error hidden from the client either (an unhandled exception, a lost activity row):
            # the server's own error lines are the first thing to read when this file fails.
            errors = [line for line in log_path.read_text().splitlines() if _is_error_line(line)]
            assert not errors, "\n".join(errors[:5])


def _is_error_line(line: str) -> bool:
    try:
        entry = json.loads(line)
    except ValueError:
        return "Traceback" in line or "Exception" in line
    return isinstance(entry, dict) and entry.get("level") in {"error", "critical"}


@pytest.fixture(scope="module")
async def tokens(database_url: str) -> AsyncIterator[dict[str, str]]:
    """A fresh database with one user and one admin; their access tokens by role."""
    from sqlalchemy import text

    from lib.core.db import session
    from tests.conftest import tables

    async with session() as db:
        await db.execute(text(f"TRUNCATE {tables()} RESTART IDENTITY CASCADE"))
    user = await create_account("fuzz-user@example.com", "Fuzz User")
    admin = await create_account("fuzz-admin@example.com", "Fuzz Admin", admin=True)
    yield {"user": user.token, "admin": admin.token}


@pytest.fixture(scope="module")
def fuzz_summary(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    operations = {label for _, label in SENT}
    line = (
        f"schemathesis {schemathesis.__version__}: {len(operations)} operations x {len(ROLES)} roles, "
        f"{sum(SENT.values())} requests (seed {SEED}, max_examples {MAX_EXAMPLES})"
    )
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if capture is None:  # pragma: no cover - only with `-p no:capture`
        print(line)
        return
    with capture.global_and_fixture_disabled():
        print(f"\n{line}")


def _document() -> dict:
    """What `/api/openapi.json` serves, built as the function builds it (`dev_server` checks it)."""
    from api.openapi import document

    return json.loads(document())


DOCUMENT = _document()
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "request-timeout": 10,
        "phases": {
            "examples": {"enabled": True},
            "fuzzing": {"enabled": True},
            "coverage": {"enabled": True},
        },
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
    }
)
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    phases=[Phase.explicit, Phase.generate],
    deadline=5000,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _fuzz(case: schemathesis.Case, role: str, dev_server: str, tokens: dict[str, str]) -> None:
    SENT[(role, case.operation.label)] += 1
    case.call_and_validate(
        base_url=dev_server, headers={"Authorization": f"Bearer {tokens[role]}"}, checks=CHECKS
    )


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_as_a_user(case: schemathesis.Case, dev_server: str, tokens: dict[str, str]) -> None:
    _fuzz(case, "user", dev_server, tokens)


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_as_an_admin(case: schemathesis.Case, dev_server: str, tokens: dict[str, str]) -> None:
    _fuzz(case, "admin", dev_server, tokens)
