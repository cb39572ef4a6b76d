"""No statement parameter reaches a log line: a forced database error on every write route, logs scanned.

A trigger on every table but rate_limit_hits (so each route gets past its limits to its own writes)
raises a real PostgreSQL error while a switch row is on; the engine's `handle_error` hook keeps the
parameters of every failed statement, and every log line of the request is searched for each of them.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx
from sqlalchemy import event, text

from api.openapi import all_endpoints
from lib.core.db import get_engine, session
from lib.web.openapi import openapi_path
from tests import log_hygiene
from tests.conftest import tables
from tests.functions.openapi_truth_support import REQUIRED_SAMPLES, TARGETS, World, request_schema
from tests.functions.payments_support import razorpay_event, razorpay_headers
from tests.support import Account

FORCED = "forced by the log-hygiene test"
FAILING_TABLES = [t for t in tables().split(", ") if t != "rate_limit_hits"]
# Shorter values (a status, a method) are ordinary words of any log line.
MIN_VALUE_LENGTH = 6
# A constant of the code (an action, a template, a status: `delete_me`, `account_deleted`) is in the
# traceback's source lines by nature; every value a client or the server made up is searched for.
CODE_WORD = re.compile(r"[a-z][a-z0-9_.]*")

# Bodies that make each PATCH write (an empty PATCH may write nothing); distinctive values.
PATCH_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "/api/admin-requests/{id}"): {"message": "Parameter canary admin request"},
    ("PATCH", "/api/auth/me"): {"full_name": "Parameter Canary Name"},
    ("PATCH", "/api/users/{id}"): {"is_active": False},
    ("PATCH", "/api/ideas/{id}"): {"user_selected": True},
    ("PATCH", "/api/meetings/{id}"): {"agenda": "Parameter canary agenda"},
    ("PATCH", "/api/plans/{id}"): {"name": "Parameter Canary Plan"},
    ("PATCH", "/api/projects/{id}"): {"title": "Parameter canary title"},
    ("PATCH", "/api/services/{id}"): {"name": "Parameter Canary Service"},
    ("PATCH", "/api/synopsis/{id}"): {"title": "Parameter canary synopsis"},
}
# Write routes without a body: who calls them and the ids their path needs.
BODILESS: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {
    ("POST", "/api/auth/verify-email/resend"): ("fresh", {}),
    ("POST", "/api/auth/logout"): ("fresh", {}),
    ("DELETE", "/api/projects/{id}"): ("alice", {"id": World.project}),
    ("POST", "/api/users/{id}/password-reset"): ("admin", {"id": World.alice_id}),
    ("POST", "/api/files/{id}/complete"): ("alice", {"id": World.uploaded_file}),
    ("DELETE", "/api/files/{id}"): ("alice", {"id": World.uploaded_file}),
    ("POST", "/api/orders/{id}/checkout"): ("alice", {"id": World.order}),
    ("POST", "/api/orders/{id}/refund"): ("admin", {"id": World.paid_order}),
    # The provider's call: its raw, signed body (RAW below) instead of JSON.
    ("POST", "/api/payments/{provider}/webhook"): ("", {"provider": World.provider_name}),
}
WEBHOOK_BODY = razorpay_event(
    "payment.captured", order_id="order_RZPcanary", payment_id="pay_RZPcanary", amount=1
)
RAW: dict[tuple[str, str], tuple[bytes, dict[str, str]]] = {
    ("POST", "/api/payments/{provider}/webhook"): (
        WEBHOOK_BODY,
        razorpay_headers(WEBHOOK_BODY, "evt_canary_0001"),
    ),
}


def _strings(value: Any) -> list[str]:
    """Every text inside a statement's parameters (nested lists, dicts and JSON included)."""
    if isinstance(value, bytes):
        return _strings(value.decode(errors="replace"))
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, (list, tuple)):
        return [s for item in value for s in _strings(item)]
    return []


@pytest.fixture
async def forced_failures(client: httpx.AsyncClient) -> AsyncIterator[None]:
    """A trigger per table that fails every write while `log_hygiene_switch.active`; dropped after."""
    async with session() as db:
        await db.execute(text("CREATE TABLE log_hygiene_switch (active boolean NOT NULL)"))
        await db.execute(text("INSERT INTO log_hygiene_switch VALUES (false)"))
        await db.execute(
            text(
                "CREATE FUNCTION log_hygiene_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF (SELECT active FROM log_hygiene_switch) THEN RAISE EXCEPTION '{FORCED}'; END IF; "
                "RETURN NULL; END $$"
            )
        )
        for table in FAILING_TABLES:
            await db.execute(
                text(
                    f"CREATE TRIGGER log_hygiene_fail BEFORE INSERT OR UPDATE OR DELETE ON {table} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION log_hygiene_fail()"
                )
            )
    try:
        yield
    finally:
        async with session() as db:
            for table in FAILING_TABLES:
                await db.execute(text(f"DROP TRIGGER IF EXISTS log_hygiene_fail ON {table}"))
            await db.execute(text("DROP FUNCTION IF EXISTS log_hygiene_fail()"))
            await db.execute(text("DROP TABLE IF EXISTS log_hygiene_switch"))


async def _switch(active: bool) -> None:
    async with session() as db:
        await db.execute(text("UPDATE log_hygiene_switch SET active = :on"), {"on": active})


async def _prepare(
    world: World, spec: dict[str, Any], method: str, path: str
) -> tuple[Account | None, dict[str, Any], Any]:
    """The caller, path ids and body of one write route, made while writes still work."""
    if (method, path) in BODILESS:
        caller, makers = BODILESS[(method, path)]
        body: Any = None
    else:
        caller, makers = TARGETS[(method, path)]
        name, _ = request_schema(spec, method, path)
        samples = REQUIRED_SAMPLES.get(name, {})
        body = {key: await s(world) if callable(s) else s for key, s in samples.items()}
        body.update(PATCH_BODIES.get((method, path), {}))
    account = (
        await world.fresh_user()
        if caller == "fresh"
        else {"alice": world.alice, "admin": world.admin}.get(caller or "")
    )
    ids = {name: await make(world) for name, make in makers.items()}
    return account, ids, body


async def test_finding_7_no_parameter_value_in_any_log_line_on_forced_database_errors(
    client: httpx.AsyncClient,
    alice: Account,
    admin: Account,
    forced_failures: None,
    storage: dict[str, str],
    razorpay_mode: respx.MockRouter,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    spec = (await client.get("/api/openapi.json")).json()
    writes = sorted((e.method, openapi_path(e.path)) for e in all_endpoints() if e.is_write)
    assert set(writes) == set(TARGETS) | set(BODILESS), "a write route without a forced-error case"
    failed: list[tuple[Any, ...]] = []

    def keep(context: Any) -> None:
        if FORCED in str(context.original_exception):
            failed.append(tuple(_strings(context.parameters)))

    engine = get_engine().sync_engine
    event.listen(engine, "handle_error", keep)
    world = World(client, alice, admin)
    try:
        for method, path in writes:
            account, ids, body = await _prepare(world, spec, method, path)
            first_line, errors_before = len(log_hygiene.LINES), len(failed)
            await _switch(True)
            try:
                content, raw_headers = RAW.get((method, path), (None, {}))
                response = await client.request(
                    method,
                    path.format(**ids),
                    json=body if content is None else None,
                    content=content,
                    headers={**(account.headers if account else {}), **raw_headers},
                )
            finally:
                await _switch(False)
            assert len(failed) > errors_before, f"{method} {path}: no write reached the database"
            assert response.status_code == 500, (method, path, response.text)
            assert response.json()["error"]["code"] == "internal_error"
            lines = [line for _, line in log_hygiene.LINES[first_line:]]
            assert any("unhandled_error" in line for line in lines), (method, path)
            # What the log carries by design, which is also stored in the activity row.
            expected = {response.headers["x-request-id"], path.format(**ids), method}
            values = {
                value
                for params in failed[errors_before:]
                for value in params
                if len(value) >= MIN_VALUE_LENGTH and value not in expected and not CODE_WORD.fullmatch(value)
            }
            leaked = [(value, line[:200]) for value in values for line in lines if value in line]
            assert not leaked, f"{method} {path}: {leaked[:3]}"
            assert not [line for line in lines if "[parameters:" in line], (method, path)
    finally:
        event.remove(engine, "handle_error", keep)
    # The hash of a new account is among the parameters that failed, and in no line at all.
    hashes = {value for params in failed for value in params if value.startswith("$argon2")}
    assert hashes, "registration's INSERT never failed"
    captured = capfd.readouterr()
    everything = (
        "\n".join(
            [line for _, line in log_hygiene.LINES],
        )
        + caplog.text
        + captured.out
        + captured.err
    )
    assert not [h for h in hashes if h in everything]
    json.dumps(failed)  # every kept parameter is plain text
