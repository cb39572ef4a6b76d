"""Admin user management, reading: GET /api/users (filters, keyset pages) and GET /api/users/{id}."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import text, update

from lib.core.db import session
from lib.models import Project
from lib.models.users import User
from tests.functions.account_rows import catalogue, rows_of
from tests.functions.auth_support import USER_KEYS
from tests.support import Account, assert_error, create_account


async def listed(client: httpx.AsyncClient, admin: Account, **params: object) -> list[str]:
    response = await client.get("/api/users", params=params, headers=admin.headers)
    assert response.status_code == 200, response.text
    return [item["email"] for item in response.json()["items"]]


async def test_the_list_is_every_user_newest_first(
    client: httpx.AsyncClient, admin: Account, alice: Account, bob: Account
) -> None:
    response = await client.get("/api/users", headers=admin.headers)
    body = response.json()
    assert set(body) == {"items", "next_cursor"} and body["next_cursor"] is None
    assert [item["email"] for item in body["items"]] == [bob.email, alice.email, admin.email]
    assert all(set(item) == USER_KEYS for item in body["items"])
    assert "password" not in response.text and "token_version" not in response.text


async def test_filters(client: httpx.AsyncClient, admin: Account, alice: Account, bob: Account) -> None:
    carol = await create_account("carol.smith@college.edu", "Carol 100%_Smith")
    async with session() as db:
        await db.execute(update(User).where(User.id == bob.id).values(is_active=False))
        await db.execute(update(User).where(User.id == alice.id).values(email_verified_at=datetime.now(UTC)))
    assert await listed(client, admin, q="ALICE") == [alice.email]
    assert await listed(client, admin, q="college.edu") == [carol.email]
    assert await listed(client, admin, q="smith") == [carol.email]  # the name too
    assert await listed(client, admin, q="100%_") == [carol.email]  # wildcards are literal
    assert await listed(client, admin, q="%") == [carol.email]
    assert await listed(client, admin, q="_") == [carol.email]
    assert await listed(client, admin, is_active="false") == [bob.email]
    assert await listed(client, admin, is_admin="true") == [admin.email]
    assert await listed(client, admin, email_verified="true") == [alice.email]
    assert await listed(client, admin, email_verified="false", is_active="true") == [carol.email, admin.email]
    assert await listed(client, admin, q="nobody") == []


async def test_keyset_pages_do_not_shift(client: httpx.AsyncClient, admin: Account) -> None:
    for n in range(5):
        await create_account(f"student{n}@example.com", f"Student {n}")
    first = (await client.get("/api/users", params={"limit": 2}, headers=admin.headers)).json()
    await create_account("late@example.com", "Late")  # a new row never moves the next page
    second = await client.get(
        "/api/users", params={"limit": 2, "cursor": first["next_cursor"]}, headers=admin.headers
    )
    emails = [item["email"] for item in first["items"] + second.json()["items"]]
    assert emails == [f"student{n}@example.com" for n in (4, 3, 2, 1)]


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 101}, {"q": ""}, {"q": "x" * 201}, {"is_active": "maybe"}, {"cursor": "junk"}],
)
async def test_bad_queries_are_422(
    client: httpx.AsyncClient, admin: Account, params: dict[str, object]
) -> None:
    error = assert_error(
        await client.get("/api/users", params=params, headers=admin.headers), 422, "validation_error"
    )
    assert error["details"][0]["loc"][0] == "query"


async def test_only_admins_read_users(client: httpx.AsyncClient, alice: Account) -> None:
    assert_error(await client.get("/api/users", headers=alice.headers), 403, "forbidden")
    assert_error(await client.get(f"/api/users/{alice.id}", headers=alice.headers), 403, "forbidden")
    assert_error(await client.get("/api/users"), 401, "unauthorized")


async def test_one_user_with_counts(
    client: httpx.AsyncClient, admin: Account, alice: Account, bob: Account
) -> None:
    plan_id, service_id = await catalogue()
    await rows_of(alice.id, plan_id, service_id, "alice")
    await rows_of(bob.id, plan_id, service_id, "bob")
    async with session() as db:
        db.add(Project(user_id=alice.id, title="Second", category="iot"))
        await db.execute(text("UPDATE users SET college = 'IIT' WHERE id = :id"), {"id": alice.id})
    response = await client.get(f"/api/users/{alice.id}", headers=admin.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == USER_KEYS | {"counts"}
    assert body["id"] == alice.id and body["college"] == "IIT"
    # Deleted projects are not counted.
    assert body["counts"] == {"projects": 2, "orders": 1, "synopses": 1, "meetings": 1}

    empty = (await client.get(f"/api/users/{admin.id}", headers=admin.headers)).json()
    assert empty["counts"] == {"projects": 0, "orders": 0, "synopses": 0, "meetings": 0}
    assert_error(await client.get("/api/users/999999", headers=admin.headers), 404, "not_found")
