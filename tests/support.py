"""Small helpers shared by the tests (ports, subprocess environments, auth calls)."""

from __future__ import annotations

import functools
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
    """Sign up through the API (what test_auth exercises); costs one Argon2 hash."""
    response = await client.post(
        "/api/auth/register", json={"email": email, "password": password, "full_name": name}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Account(body["user"]["id"], email, password, body["access_token"])


DEFAULT_PASSWORD = "correct horse battery"


@functools.cache
def _password_hash(password: str) -> str:
    from lib.core.passwords import hash_password

    return hash_password(password)


async def create_account(
    email: str, name: str = "Test User", *, admin: bool = False, password: str = DEFAULT_PASSWORD
):  # type: ignore[no-untyped-def]
    """A user row plus a real access token, without paying Argon2 per test (the hash is cached)."""
    from lib.core.db import session
    from lib.core.tokens import create_access_token
    from lib.models.users import User

    async with session() as db:
        user = User(
            email=email.lower(), password_hash=_password_hash(password), full_name=name, is_admin=admin
        )
        db.add(user)
        await db.flush()
        user_id = user.id
    token, _ = create_access_token(user_id)
    return Account(user_id, email.lower(), password, token)


async def make_admin(client=None, email: str = "admin@example.com"):  # type: ignore[no-untyped-def]
    """An admin account (the seed script makes the first one the same way: straight in the database)."""
    return await create_account(email, "Admin", admin=True)
