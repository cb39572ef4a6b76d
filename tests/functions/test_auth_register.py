"""Accounts: register (Argon2 hash, lowercase email, one row per email, validation, activity)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import argon2
import httpx
import pytest

from tests.functions.auth_support import (
    PASSWORD,
    activity_rows_as_text,
    assert_token_body,
    login,
    users_with_email,
)
from tests.support import assert_error, register

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
        # Not one plain address a mail could go to.
        ({"email": "a,b@example.com"}, "email"),
        ({"email": "x\x12y@example.com"}, "email"),
        ({"email": "<gina@example.com>"}, "email"),
        ({"email": '"gina"@example.com'}, "email"),
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


# Passes a length check made before lowering (254), then doubles: `İ` lowers to `i` + U+0307.
GROWING_EMAIL = "a@b." + "İ" * 250


async def test_finding_7_email_that_grows_when_lowercased_is_422(client: httpx.AsyncClient) -> None:
    from sqlalchemy import func, select

    from lib.core.db import session
    from lib.models.users import User
    from tests import log_hygiene

    assert len(GROWING_EMAIL) == 254 and len(GROWING_EMAIL.lower()) == 504
    first_line = len(log_hygiene.LINES)
    for path, body in (
        ("/api/auth/register", {"email": GROWING_EMAIL, "password": PASSWORD, "full_name": "Growing"}),
        ("/api/auth/login", {"email": GROWING_EMAIL, "password": PASSWORD}),
        ("/api/auth/password-reset", {"email": GROWING_EMAIL}),
    ):
        error = assert_error(await client.post(path, json=body), 422, "validation_error")
        assert [item["loc"] for item in error["details"]] == [["body", "email"]], path
        assert "once lower-cased" in error["details"][0]["msg"]
    async with session() as db:
        assert await db.scalar(select(func.count()).select_from(User)) == 0
    assert not [line for _, line in log_hygiene.LINES[first_line:] if "unhandled_error" in line]


async def test_finding_5_registrations_are_limited_per_ip(
    client: httpx.AsyncClient, trust_proxies: Any
) -> None:
    from sqlalchemy import func, select

    from lib.core.db import session
    from lib.models.users import User
    from lib.rules.accounts import REGISTRATIONS_PER_IP

    async def sign_up(n: int, ip: str) -> httpx.Response:
        body = {"email": f"new{n}@example.com", "password": PASSWORD, "full_name": f"New {n}"}
        return await client.post("/api/auth/register", json=body, headers={"x-forwarded-for": ip})

    trust_proxies(1)
    for n in range(REGISTRATIONS_PER_IP):
        assert (await sign_up(n, "198.51.100.5")).status_code == 201
    refused = await sign_up(99, "198.51.100.5")
    assert_error(refused, 429, "rate_limited")
    assert 1 <= int(refused.headers["retry-after"]) <= 3600
    assert (await sign_up(100, "198.51.100.6")).status_code == 201  # another address is not affected
    async with session() as db:
        assert await db.scalar(select(func.count()).select_from(User)) == REGISTRATIONS_PER_IP + 1
