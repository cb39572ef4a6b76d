"""What the account tests share: a real SMTP server for the functions' mail, links read from mail, rows."""

from __future__ import annotations

import asyncio
import dataclasses
import email
import email.policy
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from devkit.smtp_server import Received, SmtpServer
from lib.core import config
from lib.core.db import session
from lib.models.account_tokens import AccountToken
from lib.models.outbox import OutboxMessage
from lib.models.users import User
from tests.support import Account

TOKEN_IN_LINK = re.compile(r"[?&]token=([A-Za-z0-9_-]+)")
NEW_PASSWORD = "a brand new passphrase"


def use_settings(monkeypatch: pytest.MonkeyPatch, **changes: Any) -> None:
    """Settings changed for the rest of the test (every module reads them through config.get_settings)."""
    swapped = dataclasses.replace(config.get_settings(), **changes)
    monkeypatch.setattr(config, "get_settings", lambda: swapped)


@contextmanager
def mail_server(folder: Path, monkeypatch: pytest.MonkeyPatch, delay: float = 0.0) -> Iterator[SmtpServer]:
    """A real SMTP server on a free port (answering DATA after `delay` s), where the functions' mail goes."""
    server = SmtpServer(0, folder, delay=delay, quiet=True).start()
    use_settings(monkeypatch, email_url=server.url, frontend_url="https://app.example.com")
    try:
        yield server
    finally:
        server.stop()


async def arrived(server: SmtpServer, count: int, timeout: float = 10.0) -> list[Received]:
    deadline = time.monotonic() + timeout
    while len(server.messages) < count:
        assert time.monotonic() < deadline, f"{len(server.messages)} of {count} messages arrived"
        await asyncio.sleep(0.02)
    return list(server.messages)


def link_token(message: Received, path: str) -> str:
    """The token of the link to `path` in a received mail's text (the link a person would open)."""
    [link] = [line.strip() for line in message.text.splitlines() if f"/{path.strip('/')}?token=" in line]
    assert link.startswith(f"https://app.example.com/{path.strip('/')}?token="), link
    match = TOKEN_IN_LINK.search(link)
    assert match is not None
    return match.group(1)


async def outbox(template: str | None = None, recipient: str | None = None) -> list[OutboxMessage]:
    async with session() as db:
        statement = select(OutboxMessage).order_by(OutboxMessage.id)
        if template is not None:
            statement = statement.where(OutboxMessage.template == template)
        if recipient is not None:
            statement = statement.where(OutboxMessage.recipient == recipient)
        return list(await db.scalars(statement))


def delivered_text(message: OutboxMessage) -> str:
    """The text part of the mail an outbox row became, as it arrived (the local backend's .eml file)."""
    from lib.mail.backends import local_path
    from tests.conftest import MAIL_DIR

    path = local_path(message.message_id, MAIL_DIR)
    assert message.status == "sent" and path.is_file(), (message.status, path)
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    part = parsed.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def token_of(message: OutboxMessage) -> str:
    """The token in the link of the mail an outbox row became (as delivered: the row keeps no link)."""
    text = delivered_text(message)
    match = TOKEN_IN_LINK.search(text)
    assert match is not None, text
    return match.group(1)


async def user_row(user_id: int) -> User:
    async with session() as db:
        user = await db.get(User, user_id)
        assert user is not None
        return user


async def account_tokens(user_id: int) -> list[AccountToken]:
    async with session() as db:
        statement = select(AccountToken).where(AccountToken.user_id == user_id).order_by(AccountToken.id)
        return list(await db.scalars(statement))


async def reset_token(client: httpx.AsyncClient, email: str) -> str:
    """Ask for a reset link for `email` and read its token from the queued mail."""
    response = await client.post("/api/auth/password-reset", json={"email": email})
    assert response.status_code == 202, response.text
    [*_, message] = await outbox("password_reset", email)
    return token_of(message)


async def confirm(client: httpx.AsyncClient, token: str, password: str = NEW_PASSWORD) -> httpx.Response:
    return await client.post("/api/auth/password-reset/confirm", json={"token": token, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def me_status(client: httpx.AsyncClient, account: Account | dict[str, str]) -> int:
    headers = account.headers if isinstance(account, Account) else account
    return (await client.get("/api/auth/me", headers=headers)).status_code
