"""Accounts: the profile (PATCH /api/auth/me) and what login records (last_login_at)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.functions.accounts_support import user_row
from tests.functions.auth_support import USER_KEYS, activity_rows_as_text, login
from tests.support import Account, assert_error


async def update_me(client: httpx.AsyncClient, account: Account, body: dict[str, Any]) -> httpx.Response:
    return await client.patch("/api/auth/me", json=body, headers=account.headers)


async def test_a_new_account_has_an_empty_profile(client: httpx.AsyncClient, alice: Account) -> None:
    body = (await client.get("/api/auth/me", headers=alice.headers)).json()
    assert set(body) == USER_KEYS
    assert body["is_active"] is True and body["email_verified"] is False
    assert body["email_notifications"] is True
    assert [body[k] for k in ("phone", "college", "department", "graduation_year", "last_login_at")] == [
        None
    ] * 5


async def test_the_profile_changes_only_the_fields_sent(client: httpx.AsyncClient, alice: Account) -> None:
    changes = {
        "full_name": "  Alice Rao ",
        "phone": "+91 98765 43210",
        "college": "IIT Madras",
        "department": "Computer Science",
        "graduation_year": 2027,
        "email_notifications": False,
    }
    response = await update_me(client, alice, changes)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == USER_KEYS
    assert body["full_name"] == "Alice Rao" and body["phone"] == "+91 98765 43210"
    assert (body["college"], body["department"], body["graduation_year"]) == (
        "IIT Madras",
        "Computer Science",
        2027,
    )
    assert body["email_notifications"] is False
    row = await user_row(alice.id)
    assert (row.full_name, row.college, row.graduation_year) == ("Alice Rao", "IIT Madras", 2027)

    # Only what is sent changes; null clears the optional fields.
    response = await update_me(client, alice, {"college": None, "graduation_year": None})
    assert response.status_code == 200
    body = response.json()
    assert body["college"] is None and body["graduation_year"] is None
    assert body["department"] == "Computer Science" and body["phone"] == "+91 98765 43210"

    # {} changes nothing and answers the current row.
    same = await update_me(client, alice, {})
    assert same.status_code == 200 and same.json() == body
    [*_, last] = [json.loads(row) for row in await activity_rows_as_text("update_me")]
    assert last["user_id"] == alice.id and last["details"] == {"fields": []}


async def test_the_profile_never_changes_email_admin_or_activity(
    client: httpx.AsyncClient, alice: Account
) -> None:
    for field, value in (("email", "new@example.com"), ("is_admin", True), ("is_active", False)):
        error = assert_error(await update_me(client, alice, {field: value}), 422, "validation_error")
        assert [item["loc"] for item in error["details"]] == [["body", field]]
    row = await user_row(alice.id)
    assert row.email == alice.email and not row.is_admin and row.is_active


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"full_name": None}, "full_name"),
        ({"full_name": ""}, "full_name"),
        ({"email_notifications": None}, "email_notifications"),
        ({"email_notifications": "yes"}, "email_notifications"),
        ({"graduation_year": "2027"}, "graduation_year"),
        ({"graduation_year": 1800}, "graduation_year"),
        ({"graduation_year": 2027.5}, "graduation_year"),
        ({"phone": "call me"}, "phone"),
        ({"phone": "12"}, "phone"),
        ({"phone": "1" * 33}, "phone"),
        ({"college": "x" * 201}, "college"),
        ({"department": "   "}, "department"),
    ],
)
async def test_invalid_profile_fields_are_422(
    client: httpx.AsyncClient, alice: Account, body: dict[str, Any], field: str
) -> None:
    error = assert_error(await update_me(client, alice, body), 422, "validation_error")
    assert [item["loc"] for item in error["details"]] == [["body", field]]


async def test_the_profile_needs_a_token(client: httpx.AsyncClient) -> None:
    assert_error(await client.patch("/api/auth/me", json={"college": "IIT"}), 401, "unauthorized")


async def test_login_records_when(client: httpx.AsyncClient, alice: Account) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    response = await login(client, alice.email, alice.password)
    assert response.status_code == 200
    stamp = datetime.fromisoformat(response.json()["user"]["last_login_at"])
    assert before <= stamp <= datetime.now(UTC)
    assert (await user_row(alice.id)).last_login_at == stamp
    # A failed login changes nothing.
    assert (await login(client, alice.email, "not the password")).status_code == 401
    assert (await user_row(alice.id)).last_login_at == stamp
