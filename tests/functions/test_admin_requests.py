"""Admin requests: users ask (within the limits), and who reads and lists which, filtered and paged."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from lib.core.db import session
from lib.models.activity_logs import ActivityLog
from lib.models.admin_requests import AdminRequest
from tests.functions.admin_requests_support import MESSAGE, count_requests, create, stored
from tests.support import assert_error, error_locs, force_status

# --- create -----------------------------------------------------------------------------------


async def test_create_is_201_open_and_stored(client, alice) -> None:
    response = await client.post(
        "/api/admin-requests",
        json={"request_type": " billing-issue ", "message": "  Charged twice  "},
        headers=alice.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "open" and body["user_id"] == alice.id
    assert body["request_type"] == "billing-issue" and body["message"] == "Charged twice"
    assert body["admin_response"] is None and body["resolved_by"] is None and body["resolved_at"] is None
    row = await stored(body["id"])
    assert (row.user_id, row.request_type, row.message, row.status) == (
        alice.id,
        "billing-issue",
        "Charged twice",
        "open",
    )
    async with session() as db:
        log = await db.scalar(select(ActivityLog).where(ActivityLog.action == "create_admin_request"))
    assert log.status == "success" and log.entity_type == "admin_request" and log.entity_id == str(body["id"])


async def test_longest_fields_are_accepted(client, alice) -> None:
    body = await create(client, alice, request_type="a" * 50, message="m" * 5000)
    assert len(body["request_type"]) == 50 and len(body["message"]) == 5000


INVALID_CREATES = [
    ({"request_type": ""}, "request_type"),
    ({"request_type": "a" * 51}, "request_type"),
    ({"request_type": "two words"}, "request_type"),
    ({"request_type": "semi;colon"}, "request_type"),
    ({"request_type": "-leading"}, "request_type"),
    ({"request_type": 7}, "request_type"),
    ({"request_type": None}, "request_type"),
    ({"message": ""}, "message"),
    ({"message": "   "}, "message"),
    ({"message": "m" * 5001}, "message"),
    ({"message": ["list"]}, "message"),
    ({"message": "nul\x00byte"}, "message"),
    ({"status": "resolved"}, "status"),
    ({"admin_response": "self-served"}, "admin_response"),
]


@pytest.mark.parametrize(("change", "field"), INVALID_CREATES)
async def test_invalid_create_is_422_naming_the_field(client, alice, change: dict, field: str) -> None:
    body = {"request_type": "deadline", "message": MESSAGE, **change}
    assert set(error_locs(await client.post("/api/admin-requests", json=body, headers=alice.headers))) == {
        ("body", field)
    }
    assert await count_requests() == 0


@pytest.mark.parametrize("missing", ["request_type", "message"])
async def test_missing_field_is_422(client, alice, missing: str) -> None:
    body = {"request_type": "deadline", "message": MESSAGE}
    del body[missing]
    assert set(error_locs(await client.post("/api/admin-requests", json=body, headers=alice.headers))) == {
        ("body", missing)
    }


async def test_admin_requests_require_a_user(client) -> None:
    assert_error(await client.get("/api/admin-requests"), 401, "unauthorized")
    assert_error(await client.post("/api/admin-requests", json={}), 401, "unauthorized")
    assert_error(await client.get("/api/admin-requests/1"), 401, "unauthorized")


# --- read -------------------------------------------------------------------------------------


async def test_owner_and_admin_see_a_request_others_get_404(client, alice, bob, admin) -> None:
    made = await create(client, alice)
    for account in (alice, admin):
        response = await client.get(f"/api/admin-requests/{made['id']}", headers=account.headers)
        assert response.status_code == 200 and response.json() == made
    assert_error(await client.get(f"/api/admin-requests/{made['id']}", headers=bob.headers), 404, "not_found")
    response = await client.get("/api/admin-requests/999999", headers=alice.headers)
    assert "Admin request 999999 not found" in assert_error(response, 404, "not_found")["message"]


async def test_list_shows_own_requests_newest_first_admin_sees_all(client, alice, bob, admin) -> None:
    first, second = await create(client, alice), await create(client, alice)
    bobs = await create(client, bob)

    async def ids(account: Any, **params: Any) -> list[int]:
        response = await client.get("/api/admin-requests", params=params, headers=account.headers)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await ids(alice) == [second["id"], first["id"]]
    assert await ids(bob) == [bobs["id"]]
    assert await ids(admin) == [bobs["id"], second["id"], first["id"]]
    assert await ids(admin, user_id=bob.id) == [bobs["id"]]
    assert await ids(alice, user_id=bob.id) == []  # user_id narrows, it never widens a user's view


async def test_status_filter(client, alice, admin) -> None:
    made = {status: (await create(client, alice))["id"] for status in ("open", "in_progress", "resolved")}
    await force_status(AdminRequest, made["in_progress"], "in_progress", updated_at=AdminRequest.created_at)
    await force_status(AdminRequest, made["resolved"], "resolved", updated_at=AdminRequest.created_at)
    for status, request_id in made.items():
        for account in (alice, admin):
            response = await client.get(
                "/api/admin-requests", params={"status": status}, headers=account.headers
            )
            assert [item["id"] for item in response.json()["items"]] == [request_id]
    response = await client.get("/api/admin-requests", params={"status": "rejected"}, headers=alice.headers)
    assert response.json() == {"items": [], "next_cursor": None}
    response = await client.get("/api/admin-requests", params={"status": "closed"}, headers=alice.headers)
    assert set(error_locs(response)) == {("query", "status")}


async def test_pagination_walks_every_request_once(client, alice) -> None:
    made = [(await create(client, alice))["id"] for _ in range(5)]
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = (await client.get("/api/admin-requests", params=params, headers=alice.headers)).json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == made[::-1] and pages == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"cursor": "x"}, "cursor"),
        ({"user_id": 0}, "user_id"),
    ],
)
async def test_bad_list_parameters_are_422(client, admin, params: dict, field: str) -> None:
    response = await client.get("/api/admin-requests", params=params, headers=admin.headers)
    assert set(error_locs(response)) == {("query", field)}
