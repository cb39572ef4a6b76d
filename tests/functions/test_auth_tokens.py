"""Accounts: GET /api/auth/me and the access token guarding it (every forged or stale token is a 401)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import select, text, update

from lib.core.config import get_settings
from lib.core.db import session
from lib.core.tokens import ISSUER, create_access_token
from lib.models.activity_logs import ActivityLog
from lib.models.users import User
from tests.functions.auth_support import (
    USER_KEYS,
)
from tests.support import Account, assert_error

# --- me and tokens --------------------------------------------------------------------------------


async def test_me_returns_the_user_without_the_hash(client: httpx.AsyncClient, alice: Account) -> None:
    response = await client.get("/api/auth/me", headers=alice.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == USER_KEYS
    assert body["id"] == alice.id and body["email"] == alice.email and body["full_name"] == "Alice"
    assert body["is_admin"] is False
    assert "argon2" not in response.text and "password" not in response.text


async def test_me_of_an_admin_says_so(client: httpx.AsyncClient, admin: Account) -> None:
    response = await client.get("/api/auth/me", headers=admin.headers)
    assert response.status_code == 200 and response.json()["is_admin"] is True


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def claims(user_id: int, **changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    base = {
        "sub": str(user_id),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
        "iss": ISSUER,
        "ver": 0,
    }
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None}


def signed(payload: dict[str, Any], secret: str | None = None, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, secret or get_settings().secret_key, algorithm=algorithm)


def tampered(token: str, victim_id: int) -> str:
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["sub"] = str(victim_id)
    return f"{header}.{b64(data)}.{signature}"


def alg_none(user_id: int) -> str:
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims(user_id))}."


# Each builder gets (alice, bob) and returns the Authorization header value (None: no header).
TOKEN_ATTACKS: dict[str, Callable[[Account, Account], str | None]] = {
    "no-header": lambda a, b: None,
    "empty-bearer": lambda a, b: "Bearer ",
    "basic-scheme": lambda a, b: f"Basic {a.token}",
    "garbage": lambda a, b: "Bearer garbage",
    "tampered-sub": lambda a, b: f"Bearer {tampered(b.token, a.id)}",
    "alg-none-pyjwt": lambda a, b: f"Bearer {jwt.encode(claims(a.id), None, algorithm='none')}",
    "alg-none-by-hand": lambda a, b: f"Bearer {alg_none(a.id)}",
    "wrong-secret": lambda a, b: f"Bearer {signed(claims(a.id), 'another-secret-key-of-enough-length-0123')}",
    "expired": lambda a, b: (
        f"Bearer {create_access_token(a.id, now=datetime.now(UTC) - timedelta(days=2))[0]}"
    ),
    "no-iss": lambda a, b: f"Bearer {signed(claims(a.id, iss=None))}",
    "wrong-iss": lambda a, b: f"Bearer {signed(claims(a.id, iss='someone-else'))}",
    "no-exp": lambda a, b: f"Bearer {signed(claims(a.id, exp=None))}",
    "no-sub": lambda a, b: f"Bearer {signed(claims(a.id, sub=None))}",
    "non-numeric-sub": lambda a, b: f"Bearer {signed(claims(a.id, sub='alice'))}",
    "unknown-user": lambda a, b: f"Bearer {signed(claims(999_999))}",
    "huge-sub": lambda a, b: f"Bearer {signed(claims(a.id, sub=str(10**30)))}",
    "hs512": lambda a, b: f"Bearer {signed(claims(a.id), algorithm='HS512')}",
    "no-ver": lambda a, b: f"Bearer {signed(claims(a.id, ver=None))}",
    "string-ver": lambda a, b: f"Bearer {signed(claims(a.id, ver='0'))}",
    "bool-ver": lambda a, b: f"Bearer {signed(claims(a.id, ver=False))}",
    "negative-ver": lambda a, b: f"Bearer {signed(claims(a.id, ver=-1))}",
    "huge-ver": lambda a, b: f"Bearer {signed(claims(a.id, ver=2**63))}",
    "newer-ver": lambda a, b: f"Bearer {signed(claims(a.id, ver=1))}",
}


@pytest.mark.parametrize("attack", list(TOKEN_ATTACKS))
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # HS512 with our key
async def test_me_rejects_bad_tokens_with_401(
    client: httpx.AsyncClient, alice: Account, bob: Account, attack: str
) -> None:
    header = TOKEN_ATTACKS[attack](alice, bob)
    response = await client.get("/api/auth/me", headers={"Authorization": header} if header else {})
    error = assert_error(response, 401, "unauthorized")
    assert error["details"] is None
    assert response.headers["www-authenticate"] == "Bearer"
    assert "Alice" not in response.text and "Bob" not in response.text


async def test_a_correctly_built_token_is_accepted(client: httpx.AsyncClient, alice: Account) -> None:
    # The token attacks above differ from this one only in the part they break.
    response = await client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {signed(claims(alice.id))}"}
    )
    assert response.status_code == 200 and response.json()["id"] == alice.id


async def test_token_of_a_deactivated_user_is_401(client: httpx.AsyncClient, alice: Account) -> None:
    assert (await client.get("/api/auth/me", headers=alice.headers)).status_code == 200
    async with session() as db:
        await db.execute(update(User).where(User.id == alice.id).values(is_active=False))
    assert_error(await client.get("/api/auth/me", headers=alice.headers), 401, "unauthorized")


async def test_a_token_accepted_before_is_refused_once_it_expires(
    client: httpx.AsyncClient, alice: Account
) -> None:
    # A warm function checks a token it has seen only against the clock: expiry still applies.
    lifetime = timedelta(minutes=get_settings().access_token_minutes)
    token, _ = create_access_token(alice.id, now=datetime.now(UTC) - lifetime + timedelta(seconds=2))
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 200
    await asyncio.sleep(2.1)
    error = assert_error(await client.get("/api/auth/me", headers=headers), 401, "unauthorized")
    assert error["message"] == "Access token has expired"


async def test_rejected_token_is_recorded_without_the_token(
    client: httpx.AsyncClient, alice: Account
) -> None:
    bad_token = signed(claims(alice.id), "another-secret-key-of-enough-length-0123")
    await client.get("/api/auth/me", headers={"Authorization": f"Bearer {bad_token}"})
    async with session() as db:
        rows = list(await db.execute(text("SELECT row_to_json(a)::text FROM activity_logs a")))
    assert rows, "the failed request left no activity row"
    assert all(bad_token not in row[0] and alice.token not in row[0] for row in rows)
    async with session() as db:
        statuses = list(await db.scalars(select(ActivityLog.status).where(ActivityLog.action == "me")))
    assert statuses == ["failed"]
