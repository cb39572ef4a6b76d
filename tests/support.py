"""Small helpers shared by the tests (ports, subprocess environments, auth calls)."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def subprocess_env(**overrides: str) -> dict[str, str]:
    """The environment a subprocess of the tests runs with (the test database, test secrets)."""
    env = dict(os.environ)
    env.update(overrides)
    return env


class Account:
    """A registered user as the tests drive it: id, email, password and auth header."""

    def __init__(self, user_id: int, email: str, password: str, token: str) -> None:
        self.id, self.email, self.password, self.token = user_id, email, password, token
        self.headers = {"Authorization": f"Bearer {token}"}


async def register(client, email: str, password: str = "correct horse battery", name: str = "Test User"):  # type: ignore[no-untyped-def]
    response = await client.post(
        "/api/auth/register", json={"email": email, "password": password, "full_name": name}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Account(body["user"]["id"], email, password, body["access_token"])


async def make_admin(client, email: str = "admin@example.com"):  # type: ignore[no-untyped-def]
    """Register a user and promote it in the database (as the seed script does for the first admin)."""
    from sqlalchemy import update

    from lib.db import session
    from lib.models.users import User

    account = await register(client, email, name="Admin")
    async with session() as db:
        await db.execute(update(User).where(User.id == account.id).values(is_admin=True))
    return account
