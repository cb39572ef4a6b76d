"""Admin requests: admins work on and resolve or reject; owners edit while open; races on one request."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from lib.core.db import session
from lib.models.activity_logs import ActivityLog
from lib.models.admin_requests import AdminRequest
from tests.functions.admin_requests_support import MESSAGE, create, patch_request, stored
from tests.support import assert_error, error_locs, force_status

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
    await force_status(AdminRequest, made["id"], start, updated_at=AdminRequest.created_at)
    account = admin if who == "admin" else alice
    body: dict[str, Any] = {"status": to}
    if to in {"resolved", "rejected"}:
        body["admin_response"] = "Done: extended by two weeks"
    response = await patch_request(client, made["id"], account, body)
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
        assert_error(response, 409, "conflict")
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
    await force_status(AdminRequest, made["id"], start, updated_at=AdminRequest.created_at)
    account = admin if who == "admin" else alice
    response = await patch_request(client, made["id"], account, {"message": "Actually, three weeks"})
    row = await stored(made["id"])
    if status == 200:
        assert response.status_code == 200, response.text
        assert response.json()["message"] == row.message == "Actually, three weeks"
        assert row.status == "open"
    else:
        assert_error(response, 409, "conflict")
        assert row.message == MESSAGE and row.status == start


async def test_admin_edits_the_message_of_their_own_request(client, admin) -> None:
    made = await create(client, admin)
    response = await patch_request(client, made["id"], admin, {"message": "Reworded"})
    assert response.status_code == 200 and (await stored(made["id"])).message == "Reworded"


async def test_empty_patch_changes_nothing(client, alice) -> None:
    made = await create(client, alice)
    response = await patch_request(client, made["id"], alice, {})
    assert response.status_code == 200 and response.json() == made


@pytest.mark.parametrize(
    "body",
    [{"message": "mine now"}, {"status": "in_progress"}, {"status": "resolved", "admin_response": "x"}, {}],
)
async def test_another_users_request_is_404_and_unchanged(client, alice, bob, body: dict) -> None:
    made = await create(client, alice)
    assert_error(await patch_request(client, made["id"], bob, body), 404, "not_found")
    row = await stored(made["id"])
    assert row.status == "open" and row.message == MESSAGE and row.updated_at == row.created_at


async def test_patch_of_missing_request_is_404(client, admin) -> None:
    response = await patch_request(client, 424242, admin, {"status": "in_progress"})
    assert "Admin request 424242 not found" in assert_error(response, 404, "not_found")["message"]


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
    assert set(error_locs(await patch_request(client, made["id"], admin, body))) == {("body", field)}
    row = await stored(made["id"])
    assert row.status == "open" and row.admin_response is None and row.updated_at == row.created_at


async def test_longest_admin_response_is_accepted(client, alice, admin) -> None:
    made = await create(client, alice)
    response = await patch_request(
        client, made["id"], admin, {"status": "rejected", "admin_response": "r" * 5000}
    )
    assert response.status_code == 200 and (await stored(made["id"])).admin_response == "r" * 5000


async def test_a_refused_move_is_logged_as_failed(client, alice) -> None:
    made = await create(client, alice)
    assert_error(await patch_request(client, made["id"], alice, {"status": "in_progress"}), 409, "conflict")
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
                patch_request(client, item["id"], admin, {"status": "resolved", "admin_response": "Yes"}),
                patch_request(
                    client, item["id"], other_admin, {"status": "rejected", "admin_response": "No"}
                ),
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
                patch_request(client, item["id"], admin, {"status": "in_progress"}),
                patch_request(client, item["id"], alice, {"message": "Edited"}),
            )
        )
    )
    for item, pick_up, edit in zip(made, responses[::2], responses[1::2], strict=True):
        row = await stored(item["id"])
        assert pick_up.status_code == 200 and row.status == "in_progress"
        assert edit.status_code in (200, 409)
        # The edit landed only if it ran before the admin picked the request up.
        assert (row.message == "Edited") == (edit.status_code == 200)
