"""Admin requests: users ask, admins work on and resolve or reject; ownership, filters and races."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from lib.core.db import session
from lib.models.activity_logs import ActivityLog
from lib.models.admin_requests import AdminRequest

MESSAGE = "Please extend my project deadline"


def error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert body["code"] == code
    return body


def locs(response: httpx.Response) -> set[tuple[Any, ...]]:
    return {tuple(item["loc"]) for item in error(response, 422, "validation_error")["details"]}


async def create(client: httpx.AsyncClient, account: Any, **fields: Any) -> dict[str, Any]:
    body = {"request_type": "deadline", "message": MESSAGE, **fields}
    response = await client.post("/api/admin-requests", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def stored(request_id: int) -> AdminRequest:
    async with session() as db:
        row = await db.get(AdminRequest, request_id)
    assert row is not None
    return row


async def count_requests() -> int:
    async with session() as db:
        return await db.scalar(select(func.count()).select_from(AdminRequest))


async def force_status(request_id: int, status: str) -> None:
    """Put a request straight into `status` (as earlier moves would have left it), unedited."""
    async with session() as db:
        await db.execute(
            update(AdminRequest)
            .where(AdminRequest.id == request_id)
            .values(status=status, updated_at=AdminRequest.created_at)
        )


def _patch(client: httpx.AsyncClient, request_id: int, account: Any, body: dict) -> Any:
    return client.patch(f"/api/admin-requests/{request_id}", json=body, headers=account.headers)


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
    assert locs(await client.post("/api/admin-requests", json=body, headers=alice.headers)) == {
        ("body", field)
    }
    assert await count_requests() == 0


@pytest.mark.parametrize("missing", ["request_type", "message"])
async def test_missing_field_is_422(client, alice, missing: str) -> None:
    body = {"request_type": "deadline", "message": MESSAGE}
    del body[missing]
    assert locs(await client.post("/api/admin-requests", json=body, headers=alice.headers)) == {
        ("body", missing)
    }


async def test_admin_requests_require_a_user(client) -> None:
    error(await client.get("/api/admin-requests"), 401, "unauthorized")
    error(await client.post("/api/admin-requests", json={}), 401, "unauthorized")
    error(await client.get("/api/admin-requests/1"), 401, "unauthorized")


# --- read -------------------------------------------------------------------------------------


async def test_owner_and_admin_see_a_request_others_get_404(client, alice, bob, admin) -> None:
    made = await create(client, alice)
    for account in (alice, admin):
        response = await client.get(f"/api/admin-requests/{made['id']}", headers=account.headers)
        assert response.status_code == 200 and response.json() == made
    error(await client.get(f"/api/admin-requests/{made['id']}", headers=bob.headers), 404, "not_found")
    response = await client.get("/api/admin-requests/999999", headers=alice.headers)
    assert "Admin request 999999 not found" in error(response, 404, "not_found")["message"]


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
    await force_status(made["in_progress"], "in_progress")
    await force_status(made["resolved"], "resolved")
    for status, request_id in made.items():
        for account in (alice, admin):
            response = await client.get(
                "/api/admin-requests", params={"status": status}, headers=account.headers
            )
            assert [item["id"] for item in response.json()["items"]] == [request_id]
    response = await client.get("/api/admin-requests", params={"status": "rejected"}, headers=alice.headers)
    assert response.json() == {"items": [], "next_cursor": None}
    response = await client.get("/api/admin-requests", params={"status": "closed"}, headers=alice.headers)
    assert locs(response) == {("query", "status")}


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
    assert locs(response) == {("query", field)}


# --- transitions --------------------------------------------------------------------------------

STATUSES = ("open", "in_progress", "resolved", "rejected")
# (from, to, who) -> the answer; every combination is listed, the allowed ones first.
MOVES = [
    ("open", "in_progress", "admin", 200),
    ("open", "resolved", "admin", 200),
    ("open", "rejected", "admin", 200),
    ("in_progress", "resolved", "admin", 200),
    ("in_progress", "rejected", "admin", 200),
    ("open", "in_progress", "owner", 409),
    ("open", "resolved", "owner", 409),
    ("open", "rejected", "owner", 409),
    ("in_progress", "in_progress", "owner", 409),
    ("in_progress", "in_progress", "admin", 409),
    ("in_progress", "resolved", "owner", 409),
    ("in_progress", "rejected", "owner", 409),
    ("resolved", "in_progress", "owner", 409),
    ("resolved", "in_progress", "admin", 409),
    ("resolved", "resolved", "owner", 409),
    ("resolved", "resolved", "admin", 409),
    ("resolved", "rejected", "owner", 409),
    ("resolved", "rejected", "admin", 409),
    ("rejected", "in_progress", "owner", 409),
    ("rejected", "in_progress", "admin", 409),
    ("rejected", "resolved", "owner", 409),
    ("rejected", "resolved", "admin", 409),
    ("rejected", "rejected", "owner", 409),
    ("rejected", "rejected", "admin", 409),
]


def test_the_transition_table_is_complete() -> None:
    expected = {(a, b, who) for a in STATUSES for b in STATUSES[1:] for who in ("owner", "admin")}
    assert {row[:3] for row in MOVES} == expected and len(MOVES) == len(expected)


@pytest.mark.parametrize(("start", "to", "who", "status"), MOVES)
async def test_status_transition(client, alice, admin, start: str, to: str, who: str, status: int) -> None:
    made = await create(client, alice)
    await force_status(made["id"], start)
    account = admin if who == "admin" else alice
    body: dict[str, Any] = {"status": to}
    if to in {"resolved", "rejected"}:
        body["admin_response"] = "Done: extended by two weeks"
    response = await _patch(client, made["id"], account, body)
    row = await stored(made["id"])
    if status == 200:
        assert response.status_code == 200, response.text
        out = response.json()
        assert out["status"] == to == row.status and row.updated_at > row.created_at
        if to == "in_progress":
            assert row.admin_response is row.resolved_by is row.resolved_at is None
        else:
            assert out["admin_response"] == row.admin_response == body["admin_response"]
            assert out["resolved_by"] == row.resolved_by == admin.id
            assert row.resolved_at is not None and out["resolved_at"] is not None
    else:
        error(response, 409, "conflict")
        assert row.status == start and row.updated_at == row.created_at
        assert row.admin_response is row.resolved_by is row.resolved_at is None


# (status, who) -> the answer of a message edit: the author, while open.
EDITS = [
    ("open", "owner", 200),
    ("open", "admin", 409),
    ("in_progress", "owner", 409),
    ("in_progress", "admin", 409),
    ("resolved", "owner", 409),
    ("resolved", "admin", 409),
    ("rejected", "owner", 409),
    ("rejected", "admin", 409),
]


@pytest.mark.parametrize(("start", "who", "status"), EDITS)
async def test_message_edit(client, alice, admin, start: str, who: str, status: int) -> None:
    made = await create(client, alice)
    await force_status(made["id"], start)
    account = admin if who == "admin" else alice
    response = await _patch(client, made["id"], account, {"message": "Actually, three weeks"})
    row = await stored(made["id"])
    if status == 200:
        assert response.status_code == 200, response.text
        assert response.json()["message"] == row.message == "Actually, three weeks"
        assert row.status == "open"
    else:
        error(response, 409, "conflict")
        assert row.message == MESSAGE and row.status == start


async def test_admin_edits_the_message_of_their_own_request(client, admin) -> None:
    made = await create(client, admin)
    response = await _patch(client, made["id"], admin, {"message": "Reworded"})
    assert response.status_code == 200 and (await stored(made["id"])).message == "Reworded"


async def test_empty_patch_changes_nothing(client, alice) -> None:
    made = await create(client, alice)
    response = await _patch(client, made["id"], alice, {})
    assert response.status_code == 200 and response.json() == made


@pytest.mark.parametrize(
    "body",
    [{"message": "mine now"}, {"status": "in_progress"}, {"status": "resolved", "admin_response": "x"}, {}],
)
async def test_another_users_request_is_404_and_unchanged(client, alice, bob, body: dict) -> None:
    made = await create(client, alice)
    error(await _patch(client, made["id"], bob, body), 404, "not_found")
    row = await stored(made["id"])
    assert row.status == "open" and row.message == MESSAGE and row.updated_at == row.created_at


async def test_patch_of_missing_request_is_404(client, admin) -> None:
    response = await _patch(client, 424242, admin, {"status": "in_progress"})
    assert "Admin request 424242 not found" in error(response, 404, "not_found")["message"]


INVALID_PATCHES = [
    ({"status": "resolved"}, "admin_response"),  # resolving needs an answer
    ({"status": "rejected"}, "admin_response"),
    ({"status": "resolved", "admin_response": ""}, "admin_response"),
    ({"status": "resolved", "admin_response": "   "}, "admin_response"),
    ({"status": "resolved", "admin_response": "r" * 5001}, "admin_response"),
    ({"status": "resolved", "admin_response": None}, "admin_response"),
    ({"status": "in_progress", "admin_response": "on it"}, "admin_response"),
    ({"admin_response": "just a note"}, "admin_response"),
    ({"status": "open"}, "status"),
    ({"status": "closed"}, "status"),
    ({"status": None}, "status"),
    ({"status": "in_progress", "message": "and edit"}, "message"),
    ({"message": ""}, "message"),
    ({"message": "m" * 5001}, "message"),
    ({"message": None}, "message"),
    ({"request_type": "other"}, "request_type"),
    ({"resolved_by": 1}, "resolved_by"),
]


@pytest.mark.parametrize(("body", "field"), INVALID_PATCHES)
async def test_invalid_patch_is_422_and_changes_nothing(client, alice, admin, body: dict, field: str) -> None:
    made = await create(client, alice)
    assert locs(await _patch(client, made["id"], admin, body)) == {("body", field)}
    row = await stored(made["id"])
    assert row.status == "open" and row.admin_response is None and row.updated_at == row.created_at


async def test_longest_admin_response_is_accepted(client, alice, admin) -> None:
    made = await create(client, alice)
    response = await _patch(client, made["id"], admin, {"status": "rejected", "admin_response": "r" * 5000})
    assert response.status_code == 200 and (await stored(made["id"])).admin_response == "r" * 5000


async def test_a_refused_move_is_logged_as_failed(client, alice) -> None:
    made = await create(client, alice)
    error(await _patch(client, made["id"], alice, {"status": "in_progress"}), 409, "conflict")
    async with session() as db:
        log = await db.scalar(select(ActivityLog).where(ActivityLog.action == "update_admin_request"))
    assert log.status == "failed" and log.entity_id == str(made["id"]) and log.user_id == alice.id


# --- races ------------------------------------------------------------------------------------


async def test_race_resolve_vs_reject_exactly_one_wins(client, alice, admin) -> None:
    from tests.support import make_admin

    other_admin = await make_admin(client, "admin2@example.com")
    made = [await create(client, alice) for _ in range(4)]
    responses = await asyncio.gather(
        *(
            call
            for item in made
            for call in (
                _patch(client, item["id"], admin, {"status": "resolved", "admin_response": "Yes"}),
                _patch(client, item["id"], other_admin, {"status": "rejected", "admin_response": "No"}),
            )
        )
    )
    for item, resolve, reject in zip(made, responses[::2], responses[1::2], strict=True):
        assert sorted([resolve.status_code, reject.status_code]) == [200, 409]
        winner, by = (resolve, admin) if resolve.status_code == 200 else (reject, other_admin)
        row = await stored(item["id"])
        assert row.status == winner.json()["status"] and row.admin_response == winner.json()["admin_response"]
        assert row.resolved_by == by.id


async def test_race_pick_up_vs_owner_edit_never_edits_a_picked_up_request(client, alice, admin) -> None:
    made = [await create(client, alice) for _ in range(4)]
    responses = await asyncio.gather(
        *(
            call
            for item in made
            for call in (
                _patch(client, item["id"], admin, {"status": "in_progress"}),
                _patch(client, item["id"], alice, {"message": "Edited"}),
            )
        )
    )
    for item, pick_up, edit in zip(made, responses[::2], responses[1::2], strict=True):
        row = await stored(item["id"])
        assert pick_up.status_code == 200 and row.status == "in_progress"
        assert edit.status_code in (200, 409)
        # The edit landed only if it ran before the admin picked the request up.
        assert (row.message == "Edited") == (edit.status_code == 200)
