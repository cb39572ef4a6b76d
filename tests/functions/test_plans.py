"""Plans: only admins create them; anyone lists and reads the active ones."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from lib.core.db import session
from lib.models.activity_logs import ActivityLog
from tests.functions.plans_support import PLAN_FIELDS, create_plan, plan_row, plan_rows
from tests.support import assert_error

# --- create -------------------------------------------------------------------------------


async def test_admin_creates_a_plan(client: httpx.AsyncClient, admin) -> None:
    response = await client.post(
        "/api/plans",
        json={
            "name": "  Premium  ",
            "description": "Everything, reviewed by a mentor",
            "price_cents": 199_900,
            "currency": "usd",
            "features": ["Synopsis review", " Two meetings "],
        },
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == PLAN_FIELDS
    assert body["name"] == "Premium"
    assert body["currency"] == "USD"
    assert body["features"] == ["Synopsis review", "Two meetings"]
    assert body["is_active"] is True
    assert body["created_at"] and body["updated_at"]

    [row] = await plan_rows()
    assert (row.id, row.name, row.price_cents, row.currency) == (body["id"], "Premium", 199_900, "USD")
    assert row.description == "Everything, reviewed by a mentor"
    assert row.features == ["Synopsis review", "Two meetings"]
    async with session() as db:
        log = await db.scalar(select(ActivityLog).where(ActivityLog.action == "create_plan"))
    assert log is not None
    assert (log.status, log.entity_type, log.entity_id, log.user_id) == (
        "success",
        "plan",
        str(body["id"]),
        admin.id,
    )


async def test_create_defaults(client: httpx.AsyncClient, admin) -> None:
    body = await create_plan(client, admin, name="Free", price_cents=0)
    assert (body["currency"], body["description"], body["features"], body["is_active"]) == (
        "INR",
        "",
        [],
        True,
    )
    row = await plan_row(body["id"])
    assert row is not None and (row.currency, row.features, row.is_active) == ("INR", [], True)


async def test_duplicate_name_is_409_and_adds_no_row(client: httpx.AsyncClient, admin) -> None:
    first = await create_plan(client, admin, name="Basic")
    response = await client.post(
        "/api/plans", json={"name": "Basic", "price_cents": 1}, headers=admin.headers
    )
    assert "Basic" in assert_error(response, 409, "conflict")["message"]
    assert [row.id for row in await plan_rows()] == [first["id"]]
    async with session() as db:
        log = await db.scalar(
            select(ActivityLog).where(ActivityLog.action == "create_plan", ActivityLog.status == "failed")
        )
    assert log is not None and log.user_id == admin.id


async def test_create_needs_an_admin(client: httpx.AsyncClient, alice) -> None:
    body = {"name": "Basic", "price_cents": 100}
    assert_error(await client.post("/api/plans", json=body, headers=alice.headers), 403, "forbidden")
    assert_error(await client.post("/api/plans", json=body), 401, "unauthorized")
    assert await plan_rows() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"price_cents": 100}, "name"),
        ({"name": "", "price_cents": 100}, "name"),
        ({"name": "   ", "price_cents": 100}, "name"),
        ({"name": "x" * 101, "price_cents": 100}, "name"),
        ({"name": 5, "price_cents": 100}, "name"),
        ({"name": "Basic"}, "price_cents"),
        ({"name": "Basic", "price_cents": -1}, "price_cents"),
        ({"name": "Basic", "price_cents": 100_000_001}, "price_cents"),
        ({"name": "Basic", "price_cents": "100"}, "price_cents"),
        ({"name": "Basic", "price_cents": 1.5}, "price_cents"),
        ({"name": "Basic", "price_cents": 100, "description": "x" * 2001}, "description"),
        ({"name": "Basic", "price_cents": 100, "currency": "RUPEE"}, "currency"),
        ({"name": "Basic", "price_cents": 100, "currency": "U1D"}, "currency"),
        ({"name": "Basic", "price_cents": 100, "features": "fast"}, "features"),
        ({"name": "Basic", "price_cents": 100, "features": ["ok"] * 31}, "features"),
        ({"name": "Basic", "price_cents": 100, "features": [""]}, "features"),
        ({"name": "Basic", "price_cents": 100, "features": ["x" * 201]}, "features"),
        ({"name": "Basic", "price_cents": 100, "is_active": "yes"}, "is_active"),
        ({"name": "Basic", "price_cents": 100, "discount": 5}, "discount"),
        ({"name": "Ba\x00sic", "price_cents": 100}, "name"),
    ],
)
async def test_create_validation(client: httpx.AsyncClient, admin, body: dict, field: str) -> None:
    response = await client.post("/api/plans", json=body, headers=admin.headers)
    error = assert_error(response, 422, "validation_error")
    assert [item["loc"][:2] for item in error["details"]] == [["body", field]]
    assert await plan_rows() == []


# --- list and read ------------------------------------------------------------------------


async def test_anyone_lists_active_plans_newest_first(client: httpx.AsyncClient, admin, alice) -> None:
    basic = await create_plan(client, admin, name="Basic")
    await create_plan(client, admin, name="Retired", is_active=False)
    premium = await create_plan(client, admin, name="Premium", features=["Mentor"])

    for headers in ({}, alice.headers, admin.headers):
        response = await client.get("/api/plans", headers=headers)
        assert response.status_code == 200, response.text
        assert response.json() == {"items": [premium, basic], "next_cursor": None}


async def test_only_an_admin_sees_inactive_plans(client: httpx.AsyncClient, admin, alice) -> None:
    basic = await create_plan(client, admin, name="Basic")
    retired = await create_plan(client, admin, name="Retired", is_active=False)

    response = await client.get("/api/plans", params={"include_inactive": "true"}, headers=admin.headers)
    assert [item["id"] for item in response.json()["items"]] == [retired["id"], basic["id"]]
    # Anyone else asking gets the active plans, as without the flag.
    for headers in ({}, alice.headers):
        response = await client.get("/api/plans", params={"include_inactive": "true"}, headers=headers)
        assert [item["id"] for item in response.json()["items"]] == [basic["id"]]


async def test_list_pages_with_a_cursor(client: httpx.AsyncClient, admin) -> None:
    ids = [(await create_plan(client, admin, name=f"Plan {n}"))["id"] for n in range(5)]
    seen: list[int] = []
    cursor = None
    for _ in range(3):
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        response = await client.get("/api/plans", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert cursor is None
    assert seen == ids[::-1]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"include_inactive": "perhaps"}, "include_inactive"),
    ],
)
async def test_list_validation(client: httpx.AsyncClient, params: dict, field: str) -> None:
    error = assert_error(await client.get("/api/plans", params=params), 422, "validation_error")
    assert [item["loc"] for item in error["details"]] == [["query", field]]


async def test_get_a_plan(client: httpx.AsyncClient, admin, alice) -> None:
    plan = await create_plan(client, admin, features=["Support"])
    for headers in ({}, alice.headers):
        response = await client.get(f"/api/plans/{plan['id']}", headers=headers)
        assert response.status_code == 200, response.text
        assert response.json() == plan


async def test_inactive_plan_is_404_except_for_an_admin(client: httpx.AsyncClient, admin, alice) -> None:
    plan = await create_plan(client, admin, is_active=False)
    for headers in ({}, alice.headers):
        error = assert_error(await client.get(f"/api/plans/{plan['id']}", headers=headers), 404, "not_found")
        assert error["message"] == f"Plan {plan['id']} not found"
    response = await client.get(f"/api/plans/{plan['id']}", headers=admin.headers)
    assert response.status_code == 200 and response.json() == plan


async def test_unknown_plan_is_404(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/api/plans/999"), 404, "not_found")
    assert_error(await client.get("/api/plans/99999999999999999999"), 404, "not_found")
    assert_error(await client.get("/api/plans/basic"), 404, "not_found")


async def test_bad_token_is_401_even_where_auth_is_optional(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/plans", headers={"Authorization": "Bearer not-a-token"})
    assert_error(response, 401, "unauthorized")
