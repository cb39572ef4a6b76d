"""The mail outbox end to end: real PostgreSQL, a real SMTP server (devkit/smtp_server.py), real requests.

A message is written with the work that caused it (or not at all), sent right after the commit
within the budget, and otherwise sent by the retry path (the cron, scripts/send_outbox.py): once,
however many senders run, whatever the mail server does meanwhile.
"""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import BaseModel
from sqlalchemy import func, select, update

from devkit.processes import PYTHON, ROOT, free_port
from devkit.smtp_server import Received, SmtpServer
from lib.core import config
from lib.core.db import session
from lib.core.errors import Conflict
from lib.mail.delivery import deliver, deliver_due
from lib.mail.outbox import enqueue
from lib.models.outbox import OutboxMessage
from lib.web.app import create_app
from lib.web.endpoints import Call, post
from tests import log_hygiene
from tests.support import function_env

CRON = {"Authorization": "Bearer test-cron-secret-value"}
BUDGET = 1.0
MARGIN = 1.0  # what a request may take beyond the mail budget (its own work, the activity row)
SMTP_PASSWORD = "outbox-smtp-pass-31f9c"
UseMail = Callable[..., None]


class MailIn(BaseModel):
    to: str = "ada@example.com"
    key: str = "test:1"
    fail: bool = False


async def send_mail(call: Call[MailIn, None]) -> dict[str, Any]:
    """Queue a notification in the request's unit of work and ask for it to be sent after the commit."""
    message_id = await enqueue(
        call.db,
        to=call.body.to,
        template="notification",
        context={"title": "Your order shipped", "body": "On its way.", "link": "https://app.test/orders/1"},
        dedup_key=call.body.key,
    )
    call.send_after_commit(message_id)
    if call.body.fail:
        raise Conflict("something after the enqueue failed")
    return {"id": message_id}


@pytest.fixture
def use_mail(monkeypatch: pytest.MonkeyPatch) -> UseMail:
    """Call it with setting changes (email_url=..., ...): they hold for the rest of the test."""

    def use(**changes: Any) -> None:
        swapped = dataclasses.replace(config.get_settings(), **changes)
        monkeypatch.setattr(config, "get_settings", lambda: swapped)

    return use


@pytest.fixture
def smtp(tmp_path: Path, use_mail: UseMail) -> Iterator[SmtpServer]:
    """A real SMTP server on a free port; the functions' mail goes there with a 1 s budget."""
    server = SmtpServer(0, tmp_path / "mail", quiet=True).start()
    use_mail(email_url=server.url, email_send_budget_seconds=BUDGET, email_max_attempts=8)
    yield server
    server.stop()


@pytest.fixture
async def app(client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """A one-route test function (its database cleaned by `client`)."""
    function = create_app([post("/api/test/mail", send_mail, auth="public", entity="outbox")])
    transport = httpx.ASGITransport(app=function)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        yield http


async def rows() -> list[OutboxMessage]:
    async with session() as db:
        return list(await db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def make_due() -> None:
    """Time passes: every pending message's backoff is over."""
    async with session() as db:
        await db.execute(
            update(OutboxMessage).where(OutboxMessage.status == "pending").values(next_attempt_at=func.now())
        )


async def arrived(server: SmtpServer, count: int, timeout: float = 10.0) -> list[Received]:
    deadline = time.monotonic() + timeout
    while len(server.messages) < count:
        assert time.monotonic() < deadline, f"{len(server.messages)} of {count} messages arrived"
        await asyncio.sleep(0.02)
    return list(server.messages)


async def queue(count: int, prefix: str = "bulk") -> list[int]:
    async with session() as db:
        ids = [
            await enqueue(
                db,
                to=f"user{i}@example.com",
                template="account_deleted",
                context={"name": f"User {i}"},
                dedup_key=f"{prefix}:{i}",
            )
            for i in range(count)
        ]
    return [i for i in ids if i is not None]


def lines_since(mark: int) -> list[str]:
    return [line for _test, line in log_hygiene.LINES[mark:]]


# --- the unit of work --------------------------------------------------------------------------


async def test_a_unit_of_work_that_fails_leaves_no_message(app: httpx.AsyncClient, smtp: SmtpServer) -> None:
    with pytest.raises(RuntimeError):
        async with session() as db:
            assert await enqueue(
                db, to="ada@example.com", template="account_deleted", context={"name": "A"}, dedup_key="k"
            )
            raise RuntimeError("the work that caused the mail failed")
    response = await app.post("/api/test/mail", json={"fail": True})
    assert response.status_code == 409
    await asyncio.sleep(0.3)
    assert await rows() == [] and smtp.messages == []


async def test_a_request_that_enqueues_sends_after_its_commit(
    app: httpx.AsyncClient, smtp: SmtpServer
) -> None:
    response = await app.post("/api/test/mail", json={"key": "order:1:shipped"})
    assert response.status_code == 201, response.text
    [received] = await arrived(smtp, 1)
    [row] = await rows()
    assert response.json() == {"id": row.id}
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None) and row.sent_at is not None
    assert received.message["Message-ID"] == row.message_id and row.message_id.endswith("@launchpad>")
    assert received.message["X-Launchpad-Dedup"] == "order:1:shipped"
    assert received.message["Subject"] == row.subject == "Your order shipped"
    assert "https://app.test/orders/1" in received.text and "https://app.test/orders/1" in received.html

    again = await app.post("/api/test/mail", json={"key": "order:1:shipped"})
    assert again.status_code == 201 and again.json() == {"id": None}  # the same cause mails once
    await asyncio.sleep(0.3)
    assert len(smtp.messages) == 1 and len(await rows()) == 1


# --- the mail server away, slow, or refusing ---------------------------------------------------


async def test_server_down_the_request_succeeds_and_the_cron_sends_it_once(
    app: httpx.AsyncClient, client: httpx.AsyncClient, smtp: SmtpServer
) -> None:
    port = smtp.port
    smtp.stop()
    started = time.monotonic()
    response = await app.post("/api/test/mail", json={"key": "reset:1"})
    assert response.status_code == 201, response.text
    assert time.monotonic() - started < BUDGET + MARGIN
    [row] = await rows()
    assert (row.status, row.attempts, row.sent_at) == ("pending", 1, None)
    assert row.last_error and "Connect" in row.last_error  # class name and a short message

    # Not due yet (the backoff): a cron run now sends nothing.
    back = SmtpServer(port, smtp.folder, quiet=True).start()
    try:
        early = await client.get("/api/cron/outbox", headers=CRON)
        assert early.status_code == 200 and early.json()["sent"] == 0
        await make_due()
        run = await client.get("/api/cron/outbox", headers=CRON)
        assert run.status_code == 200, run.text
        body = run.json()
        assert (body["sent"], body["retrying"], body["failed"], body["remaining"]) == (1, 0, 0, 0)
        [received] = await arrived(back, 1)
        assert received.message["Message-ID"] == row.message_id
        [row] = await rows()
        assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)

        await make_due()  # a sent message is never due again
        assert (await client.get("/api/cron/outbox", headers=CRON)).json()["sent"] == 0
        await asyncio.sleep(0.3)
        assert len(back.messages) == 1
    finally:
        back.stop()


async def test_two_retry_runs_at_once_send_each_message_once(
    client: httpx.AsyncClient, tmp_path: Path, use_mail: UseMail
) -> None:
    with SmtpServer(0, tmp_path, delay=0.02, quiet=True) as server:
        use_mail(email_url=server.url)
        ids = await queue(25)
        deadline = time.monotonic() + 30
        first, second = await asyncio.gather(
            deliver_due(limit=100, deadline=deadline), deliver_due(limit=100, deadline=deadline)
        )
        assert first.sent + second.sent == 25 and first.failed + second.failed == 0
        assert first.sent and second.sent  # both ran, side by side
        received = await arrived(server, 25)
        await asyncio.sleep(0.3)
        assert len(server.messages) == 25
        assert len({m.message["Message-ID"] for m in received}) == 25
        assert {r.id for r in await rows() if r.status == "sent" and r.attempts == 1} == set(ids)


async def test_a_slow_server_costs_the_request_at_most_the_budget(
    app: httpx.AsyncClient, tmp_path: Path, use_mail: UseMail
) -> None:
    with SmtpServer(0, tmp_path, delay=5, quiet=True) as server:
        use_mail(email_url=server.url, email_send_budget_seconds=BUDGET)
        started = time.monotonic()
        response = await app.post("/api/test/mail", json={"key": "slow:1"})
        elapsed = time.monotonic() - started
        assert response.status_code == 201, response.text
        assert BUDGET * 0.9 <= elapsed < BUDGET + MARGIN
        [row] = await rows()
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.last_error and row.last_error.startswith("TimeoutError")

        # Several messages share one budget; those never tried are not even claimed.
        ids = await queue(3, prefix="slow-bulk")
        started = time.monotonic()
        await deliver(ids, budget_seconds=BUDGET)
        assert time.monotonic() - started < BUDGET + MARGIN  # not sharing it would take 3 s
        attempts = {r.id: r.attempts for r in await rows() if r.id in ids}
        assert sorted(attempts.values()) == [0, 0, 1]


async def test_max_attempts_then_failed(app: httpx.AsyncClient, smtp: SmtpServer, use_mail: UseMail) -> None:
    use_mail(email_url=f"smtp://127.0.0.1:{free_port()}", email_max_attempts=3)
    assert (await app.post("/api/test/mail", json={"key": "doomed"})).status_code == 201  # attempt 1
    for attempt in (2, 3):
        await make_due()
        result = await deliver_due(limit=10, deadline=time.monotonic() + 10)
        assert (result.retrying, result.failed) == ((1, 0) if attempt < 3 else (0, 1))
    [row] = await rows()
    assert (row.status, row.attempts, row.sent_at) == ("failed", 3, None) and row.last_error
    await make_due()
    assert (await deliver_due(limit=10, deadline=time.monotonic() + 10)).failed == 0  # never tried again


async def test_a_refused_recipient_fails_at_once(
    app: httpx.AsyncClient, tmp_path: Path, use_mail: UseMail
) -> None:
    with SmtpServer(0, tmp_path, refuse=("gone@example.com",), quiet=True) as server:
        use_mail(email_url=server.url)
        assert (await app.post("/api/test/mail", json={"to": "gone@example.com"})).status_code == 201
        [row] = await rows()
        assert (row.status, row.attempts) == ("failed", 1)
        assert row.last_error and row.last_error.startswith("PermanentFailure") and "550" in row.last_error


# --- what a failure may say --------------------------------------------------------------------


async def test_a_send_failure_logs_no_credential(app: httpx.AsyncClient, use_mail: UseMail) -> None:
    use_mail(email_url=f"smtp://mailer:{SMTP_PASSWORD}@127.0.0.1:{free_port()}")
    mark = len(log_hygiene.LINES)
    assert (await app.post("/api/test/mail", json={"key": "secret:1"})).status_code == 201
    [row] = await rows()
    assert row.status == "pending" and row.last_error and SMTP_PASSWORD not in row.last_error
    failures = [line for line in lines_since(mark) if "mail_send_failed" in line]
    assert failures, lines_since(mark)
    assert not [line for line in lines_since(mark) if SMTP_PASSWORD in line]


async def test_a_broken_delivery_never_changes_the_response(
    app: httpx.AsyncClient, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lib.mail import delivery

    async def broken(ids: list[int], *, budget_seconds: float) -> None:
        raise RuntimeError(f"cannot reach smtp://mailer:{SMTP_PASSWORD}@mail.example.com")

    monkeypatch.setattr(delivery, "deliver", broken)
    mark = len(log_hygiene.LINES)
    response = await app.post("/api/test/mail", json={"key": "broken:1"})
    assert response.status_code == 201 and response.json()["id"]
    [row] = await rows()
    assert row.status == "pending"  # the cron sends it
    logged = [line for line in lines_since(mark) if "mail_after_commit_failed" in line]
    assert logged and not [line for line in lines_since(mark) if SMTP_PASSWORD in line]


# --- the other retry path: scripts/send_outbox.py ----------------------------------------------


async def test_send_outbox_script_sends_what_is_due(client: httpx.AsyncClient, smtp: SmtpServer) -> None:
    ids = await queue(3, prefix="script")
    run = await asyncio.to_thread(
        subprocess.run,
        [PYTHON, str(ROOT / "scripts" / "send_outbox.py")],
        env=function_env(
            DATABASE_URL=config.get_settings().database_url or "",
            EMAIL_URL=smtp.url,
            LOG_FORMAT="console",
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    log_hygiene.scan_text("send_outbox.py", run.stdout + run.stderr)
    assert run.returncode == 0, run.stderr
    assert "sent 3, retrying 0, failed 0, still due 0" in run.stdout
    await arrived(smtp, 3)
    assert {r.id for r in await rows() if r.status == "sent"} == set(ids)
