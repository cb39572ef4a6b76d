"""Accounts: register, login (rate limited, rehashing), and the token guarding GET /api/auth/me."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import argon2
import httpx
import jwt
import pytest
from sqlalchemy import func, select, text, update

from lib.core.config import get_settings
from lib.core.db import session
from lib.core.passwords import needs_rehash
from lib.core.tokens import ISSUER, create_access_token
from lib.models.activity_logs import ActivityLog
from lib.models.rate_limits import RateLimitHit
from lib.models.users import User
from tests.support import Account, register

CLIENT_IP = "203.0.113.7"
PASSWORD = "correct horse battery"
USER_KEYS = {"id", "email", "full_name", "is_admin", "created_at"}


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details", "request_id"}
    assert body["error"]["code"] == code
    assert body["error"]["request_id"] == response.headers["x-request-id"]
    return body["error"]


def assert_token_body(body: dict[str, Any], email: str, full_name: str) -> None:
    assert set(body) == {"user", "access_token", "token_type", "expires_in"}
    assert set(body["user"]) == USER_KEYS
    assert body["user"]["email"] == email
    assert body["user"]["full_name"] == full_name
    assert body["user"]["is_admin"] is False
    assert isinstance(body["user"]["id"], int)
    assert datetime.fromisoformat(body["user"]["created_at"]).tzinfo is not None
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == get_settings().access_token_minutes * 60
    assert body["access_token"].count(".") == 2


async def users_with_email(email: str) -> list[User]:
    async with session() as db:
        return list(await db.scalars(select(User).where(func.lower(User.email) == email.lower())))


async def login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/auth/login", json={"email": email, "password": password})


async def activity_rows_as_text(action: str) -> list[str]:
    """Each activity row of `action`, every column serialized by Postgres itself."""
    async with session() as db:
        result = await db.execute(
            text("SELECT row_to_json(a)::text FROM activity_logs a WHERE action = :action ORDER BY id"),
            {"action": action},
        )
        return list(result.scalars())


async def hits_for(email: str) -> list[str]:
    async with session() as db:
        buckets = await db.scalars(select(RateLimitHit.bucket).where(RateLimitHit.bucket.contains(email)))
        return list(buckets)


# --- register -------------------------------------------------------------------------------------


async def test_register_returns_user_and_token_and_stores_an_argon2_hash(client: httpx.AsyncClient) -> None:
    password = "s3cret-passphrase"
    response = await client.post(
        "/api/auth/register",
        json={"email": "carol@example.com", "password": password, "full_name": "Carol Jones"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert_token_body(body, "carol@example.com", "Carol Jones")
    assert "password" not in response.text and password not in response.text
    assert "argon2" not in response.text

    [user] = await users_with_email("carol@example.com")
    assert user.id == body["user"]["id"]
    assert user.password_hash.startswith("$argon2id$")
    assert password not in user.password_hash
    assert argon2.PasswordHasher().verify(user.password_hash, password)
    assert user.is_active and not user.is_admin

    # The token works straight away.
    me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["id"] == user.id


async def test_register_stores_email_lowercase(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/register",
        json={"email": "  Dana.Smith@Example.COM ", "password": PASSWORD, "full_name": "Dana"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["user"]["email"] == "dana.smith@example.com"
    [user] = await users_with_email("dana.smith@example.com")
    assert user.email == "dana.smith@example.com"


async def test_register_accepts_a_password_of_exactly_eight_characters(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/register", json={"email": "eve@example.com", "password": "8charsok", "full_name": "Eve"}
    )
    assert response.status_code == 201, response.text
    assert (await login(client, "eve@example.com", "8charsok")).status_code == 200


async def test_duplicate_email_in_another_case_is_409_and_keeps_one_row(client: httpx.AsyncClient) -> None:
    first = await register(client, "frank@example.com", name="Frank")
    response = await client.post(
        "/api/auth/register",
        json={"email": "FRANK@Example.com", "password": "another password", "full_name": "Impostor"},
    )
    error = assert_error(response, 409, "conflict")
    assert "email" in error["message"].lower()
    [user] = await users_with_email("frank@example.com")
    assert user.id == first.id and user.full_name == "Frank"
    # The original password still works; the second one never became valid.
    assert (await login(client, "frank@example.com", first.password)).status_code == 200
    assert (await login(client, "frank@example.com", "another password")).status_code == 401


async def test_concurrent_registrations_of_one_email_create_exactly_one_user(
    client: httpx.AsyncClient,
) -> None:
    async def attempt(n: int) -> httpx.Response:
        return await client.post(
            "/api/auth/register",
            json={"email": "race@example.com", "password": f"password-{n:02d}", "full_name": f"Racer {n}"},
        )

    responses = await asyncio.gather(*(attempt(n) for n in range(20)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 19, [r.text for r in responses if r.status_code not in (201, 409)]
    for response in responses:
        if response.status_code == 409:
            assert_error(response, 409, "conflict")
    [winner] = [r.json() for r in responses if r.status_code == 201]
    [user] = await users_with_email("race@example.com")
    assert user.id == winner["user"]["id"] and user.full_name == winner["user"]["full_name"]


REGISTER_OK = {"email": "gina@example.com", "password": PASSWORD, "full_name": "Gina"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"password": "7-chars"}, "password"),
        ({"password": "x" * 257}, "password"),
        ({"password": None}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "two@@example.com"}, "email"),
        ({"email": ""}, "email"),
        ({"full_name": "x" * 201}, "full_name"),
        ({"full_name": "   "}, "full_name"),
        ({"full_name": 42}, "full_name"),
        ({"is_admin": True}, "is_admin"),
        ({"role": "admin"}, "role"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
async def test_register_rejects_invalid_input_naming_the_field(
    client: httpx.AsyncClient, changes: dict[str, Any], field: str
) -> None:
    response = await client.post("/api/auth/register", json={**REGISTER_OK, **changes})
    error = assert_error(response, 422, "validation_error")
    assert [item["loc"] for item in error["details"]] == [["body", field]]
    assert PASSWORD not in response.text  # rejected input is never echoed
    assert await users_with_email("gina@example.com") == []


@pytest.mark.parametrize("missing", ["email", "password", "full_name"])
async def test_register_without_a_required_field_is_422(client: httpx.AsyncClient, missing: str) -> None:
    payload = {key: value for key, value in REGISTER_OK.items() if key != missing}
    error = assert_error(await client.post("/api/auth/register", json=payload), 422, "validation_error")
    assert ["body", missing] in [item["loc"] for item in error["details"]]
    assert await users_with_email("gina@example.com") == []


async def test_register_activity_row_never_holds_the_password(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/auth/register", json=REGISTER_OK)
    assert response.status_code == 201
    [row] = await activity_rows_as_text("register")
    assert PASSWORD not in row and response.json()["access_token"] not in row
    record = json.loads(row)
    assert record["status"] == "success" and record["user_id"] == response.json()["user"]["id"]
    assert record["request_id"] == response.headers["x-request-id"]


# --- login ----------------------------------------------------------------------------------------


async def test_login_returns_the_same_shape_as_register(client: httpx.AsyncClient, alice: Account) -> None:
    response = await login(client, "ALICE@example.com", alice.password)
    assert response.status_code == 200, response.text
    body = response.json()
    assert_token_body(body, alice.email, "Alice")
    assert body["user"]["id"] == alice.id
    assert "password" not in response.text
    me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["id"] == alice.id


async def test_wrong_password_and_unknown_email_get_the_same_401(
    client: httpx.AsyncClient, alice: Account
) -> None:
    wrong = assert_error(await login(client, alice.email, "not the password"), 401, "unauthorized")
    unknown = assert_error(await login(client, "nobody@example.com", alice.password), 401, "unauthorized")
    assert wrong["message"] == unknown["message"]
    assert wrong["details"] is None and unknown["details"] is None


async def test_login_of_a_deactivated_user_is_401(client: httpx.AsyncClient, alice: Account) -> None:
    async with session() as db:
        await db.execute(update(User).where(User.id == alice.id).values(is_active=False))
    error = assert_error(await login(client, alice.email, alice.password), 401, "unauthorized")
    wrong = assert_error(await login(client, "nobody@example.com", "whatever1"), 401, "unauthorized")
    assert error["message"] == wrong["message"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "alice@example.com"}, "password"),
        ({"password": PASSWORD}, "email"),
        ({"email": "alice@example.com", "password": ""}, "password"),
        ({"email": "alice", "password": PASSWORD}, "email"),
        ({"email": "alice@example.com", "password": PASSWORD, "remember": True}, "remember"),
    ],
    ids=["no-password", "no-email", "empty-password", "bad-email", "unknown-field"],
)
async def test_login_rejects_invalid_input_naming_the_field(
    client: httpx.AsyncClient, alice: Account, payload: dict[str, Any], field: str
) -> None:
    error = assert_error(await client.post("/api/auth/login", json=payload), 422, "validation_error")
    assert ["body", field] in [item["loc"] for item in error["details"]]


async def test_login_success_and_failure_are_recorded_without_the_password(
    client: httpx.AsyncClient, alice: Account
) -> None:
    headers = {"user-agent": "pytest-agent/1.0"}
    ok = await client.post(
        "/api/auth/login", json={"email": alice.email, "password": alice.password}, headers=headers
    )
    bad = await client.post(
        "/api/auth/login", json={"email": alice.email, "password": "wrong-password-123"}, headers=headers
    )
    unknown = await client.post(
        "/api/auth/login",
        json={"email": "ghost@example.com", "password": "ghost-password-9"},
        headers=headers,
    )
    assert (ok.status_code, bad.status_code, unknown.status_code) == (200, 401, 401)

    rows = await activity_rows_as_text("login")
    assert len(rows) == 3
    for row in rows:
        for secret in (alice.password, "wrong-password-123", "ghost-password-9", ok.json()["access_token"]):
            assert secret not in row
    records = [json.loads(row) for row in rows]
    for record, response in zip(records, (ok, bad, unknown), strict=True):
        assert record["ip_address"] == CLIENT_IP
        assert record["method"] == "POST"
        assert record["path"] == "/api/auth/login"
        assert record["user_agent"] == "pytest-agent/1.0"
        assert record["request_id"] == response.headers["x-request-id"]
        assert record["entity_type"] == "user"
    assert [r["status"] for r in records] == ["success", "failed", "failed"]
    assert [r["user_id"] for r in records] == [alice.id, alice.id, None]
    assert records[0]["error_message"] is None
    assert records[1]["error_message"] == bad.json()["error"]["message"]


# --- rate limit -----------------------------------------------------------------------------------


async def test_sixth_attempt_after_five_failures_is_429_even_with_the_right_password(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    for attempt in range(5):
        # The email's case must not open a new bucket.
        email = alice.email.upper() if attempt % 2 else alice.email
        assert_error(await login(client, email, f"wrong-{attempt}-password"), 401, "unauthorized")

    # The limit lives in Postgres, where every serverless instance sees it.
    buckets = await hits_for(alice.email)
    assert len(buckets) == 5
    assert all(CLIENT_IP in bucket for bucket in buckets)

    response = await login(client, alice.email, alice.password)
    error = assert_error(response, 429, "rate_limited")
    retry_after = response.headers["Retry-After"]
    assert retry_after.isdigit() and 1 <= int(retry_after) <= 15 * 60
    assert "access_token" not in response.text

    # Another email from the same IP is not affected.
    other = await login(client, bob.email, bob.password)
    assert other.status_code == 200, other.text
    # The blocked attempt is recorded as a failed login.
    last = json.loads((await activity_rows_as_text("login"))[-2])
    assert last["status"] == "failed" and last["error_message"] == error["message"]


async def test_unknown_emails_are_rate_limited_too(client: httpx.AsyncClient) -> None:
    for _ in range(5):
        assert_error(await login(client, "ghost@example.com", "guess-password"), 401, "unauthorized")
    assert_error(await login(client, "ghost@example.com", "guess-password"), 429, "rate_limited")


async def test_successful_login_resets_the_failure_count(client: httpx.AsyncClient, alice: Account) -> None:
    for _ in range(4):
        assert_error(await login(client, alice.email, "wrong-password"), 401, "unauthorized")
    assert len(await hits_for(alice.email)) == 4
    assert (await login(client, alice.email, alice.password)).status_code == 200
    assert await hits_for(alice.email) == []
    for _ in range(4):
        assert_error(await login(client, alice.email, "wrong-password"), 401, "unauthorized")
    assert (await login(client, alice.email, alice.password)).status_code == 200


async def test_concurrent_wrong_passwords_cannot_exceed_the_limit(
    client: httpx.AsyncClient, alice: Account
) -> None:
    responses = await asyncio.gather(*(login(client, alice.email, f"guess-{n}-pw") for n in range(12)))
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {401, 429}, [r.text for r in responses]
    assert statuses.count(401) <= 5, statuses
    assert_error(await login(client, alice.email, alice.password), 429, "rate_limited")


# --- rehash ---------------------------------------------------------------------------------------


async def test_login_rehashes_a_password_hashed_with_weaker_parameters(client: httpx.AsyncClient) -> None:
    weak = argon2.PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
    assert needs_rehash(weak)
    async with session() as db:
        db.add(User(email="legacy@example.com", password_hash=weak, full_name="Legacy"))

    # A failed login leaves the hash alone.
    assert (await login(client, "legacy@example.com", "not-the-password")).status_code == 401
    [user] = await users_with_email("legacy@example.com")
    assert user.password_hash == weak

    assert (await login(client, "legacy@example.com", PASSWORD)).status_code == 200
    [user] = await users_with_email("legacy@example.com")
    assert user.password_hash != weak
    assert user.password_hash.startswith("$argon2id$")
    assert not needs_rehash(user.password_hash)
    assert argon2.PasswordHasher().verify(user.password_hash, PASSWORD)
    assert (await login(client, "legacy@example.com", PASSWORD)).status_code == 200


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
