"""Meetings: admin confirmation, owner cancel and reschedule: the transition table and its checks."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from lib.core.db import session
from lib.models.activity_logs import ActivityLog
from lib.models.meetings import Meeting
from tests.functions.meetings_support import LINK, create, left_in, soon, stored
from tests.support import assert_error, error_locs, force_status

# --- transitions --------------------------------------------------------------------------------


STATUSES = ("requested", "confirmed", "completed", "cancelled")


# (from, to, who) -> the answer; every combination is listed, the allowed ones first.
MOVES = [
    ("requested", "confirmed", "admin", 200),
    ("confirmed", "completed", "admin", 200),
    ("requested", "cancelled", "admin", 200),
    ("confirmed", "cancelled", "admin", 200),
    ("requested", "cancelled", "owner", 200),
    ("confirmed", "cancelled", "owner", 200),
    ("requested", "confirmed", "owner", 409),
    ("requested", "completed", "owner", 409),
    ("requested", "completed", "admin", 409),
    ("confirmed", "confirmed", "owner", 409),
    ("confirmed", "confirmed", "admin", 409),
    ("confirmed", "completed", "owner", 409),
    ("completed", "confirmed", "owner", 409),
    ("completed", "confirmed", "admin", 409),
    ("completed", "completed", "owner", 409),
    ("completed", "completed", "admin", 409),
    ("completed", "cancelled", "owner", 409),
    ("completed", "cancelled", "admin", 409),
    ("cancelled", "confirmed", "owner", 409),
    ("cancelled", "confirmed", "admin", 409),
    ("cancelled", "completed", "owner", 409),
    ("cancelled", "completed", "admin", 409),
    ("cancelled", "cancelled", "owner", 409),
    ("cancelled", "cancelled", "admin", 409),
]


def test_the_transition_table_is_complete() -> None:
    expected = {(a, b, who) for a in STATUSES for b in STATUSES[1:] for who in ("owner", "admin")}
    assert {row[:3] for row in MOVES} == expected and len(MOVES) == len(expected)


@pytest.mark.parametrize(("start", "to", "who", "status"), MOVES)
async def test_status_transition(client, alice, admin, start: str, to: str, who: str, status: int) -> None:
    meeting = await create(client, alice)
    await force_status(Meeting, meeting["id"], start, **left_in(start))
    account = admin if who == "admin" else alice
    body: dict[str, Any] = {"status": to}
    if to == "confirmed":
        body["meeting_link"] = "https://meet.example.com/new-link"
    response = await client.patch(f"/api/meetings/{meeting['id']}", json=body, headers=account.headers)
    row = await stored(meeting["id"])
    if status == 200:
        assert response.status_code == 200, response.text
        assert response.json()["status"] == to == row.status
        if to == "confirmed":
            assert response.json()["meeting_link"] == row.meeting_link == body["meeting_link"]
        assert row.updated_at > row.created_at
    else:
        assert_error(response, 409, "conflict")
        assert row.status == start and row.updated_at == row.created_at


# (status, who) -> the answer of a reschedule (scheduled_at, duration, agenda): owner, while requested.
RESCHEDULES = [
    ("requested", "owner", 200),
    ("requested", "admin", 409),
    ("confirmed", "owner", 409),
    ("confirmed", "admin", 409),
    ("completed", "owner", 409),
    ("completed", "admin", 409),
    ("cancelled", "owner", 409),
    ("cancelled", "admin", 409),
]


@pytest.mark.parametrize(("start", "who", "status"), RESCHEDULES)
async def test_reschedule(client, alice, admin, start: str, who: str, status: int) -> None:
    meeting = await create(client, alice)
    await force_status(Meeting, meeting["id"], start, **left_in(start))
    later = soon(10)
    body = {"scheduled_at": later.isoformat(), "duration_minutes": 90, "agenda": "New agenda"}
    account = admin if who == "admin" else alice
    response = await client.patch(f"/api/meetings/{meeting['id']}", json=body, headers=account.headers)
    row = await stored(meeting["id"])
    if status == 200:
        assert response.status_code == 200, response.text
        assert response.json()["agenda"] == "New agenda" and response.json()["status"] == "requested"
        assert (row.scheduled_at, row.duration_minutes, row.agenda) == (later, 90, "New agenda")
    else:
        assert_error(response, 409, "conflict")
        assert row.agenda == "Review my synopsis" and row.duration_minutes == 30 and row.status == start


async def test_owner_reschedules_one_field(client, alice) -> None:
    meeting = await create(client, alice)
    response = await client.patch(
        f"/api/meetings/{meeting['id']}", json={"duration_minutes": 60}, headers=alice.headers
    )
    assert response.status_code == 200 and response.json()["duration_minutes"] == 60
    row = await stored(meeting["id"])
    assert row.duration_minutes == 60 and row.agenda == meeting["agenda"]


async def test_empty_patch_changes_nothing(client, alice) -> None:
    meeting = await create(client, alice)
    response = await client.patch(f"/api/meetings/{meeting['id']}", json={}, headers=alice.headers)
    assert response.status_code == 200 and response.json() == meeting


@pytest.mark.parametrize(
    "body",
    [
        {"status": "cancelled"},
        {"status": "confirmed", "meeting_link": LINK},
        {"agenda": "mine now"},
        {},
    ],
)
async def test_another_users_meeting_is_404_and_unchanged(client, alice, bob, body: dict) -> None:
    meeting = await create(client, alice)
    response = await client.patch(f"/api/meetings/{meeting['id']}", json=body, headers=bob.headers)
    assert_error(response, 404, "not_found")
    row = await stored(meeting["id"])
    assert row.status == "requested" and row.agenda == meeting["agenda"] and row.meeting_link is None


async def test_patch_of_missing_meeting_is_404(client, admin) -> None:
    response = await client.patch("/api/meetings/424242", json={"status": "cancelled"}, headers=admin.headers)
    assert "Meeting 424242 not found" in assert_error(response, 404, "not_found")["message"]


INVALID_PATCHES = [
    ({"status": "confirmed"}, "meeting_link"),  # confirming needs the link
    ({"status": "confirmed", "meeting_link": "http://meet.example.com/x"}, "meeting_link"),
    ({"status": "confirmed", "meeting_link": "meet.example.com/x"}, "meeting_link"),
    ({"status": "confirmed", "meeting_link": "https://"}, "meeting_link"),
    ({"status": "confirmed", "meeting_link": "https://meet.example.com/a b"}, "meeting_link"),
    ({"status": "confirmed", "meeting_link": "https://meet.example.com/" + "x" * 476}, "meeting_link"),
    ({"status": "confirmed", "meeting_link": None}, "meeting_link"),
    ({"status": "cancelled", "meeting_link": LINK}, "meeting_link"),
    ({"meeting_link": LINK}, "meeting_link"),
    ({"status": "requested"}, "status"),
    ({"status": "done"}, "status"),
    ({"status": None}, "status"),
    ({"status": "cancelled", "agenda": "and also this"}, "agenda"),
    ({"agenda": ""}, "agenda"),
    ({"agenda": None}, "agenda"),
    ({"duration_minutes": 14}, "duration_minutes"),
    ({"duration_minutes": 181}, "duration_minutes"),
    ({"scheduled_at": "2020-01-01T10:00:00Z"}, "scheduled_at"),
    ({"scheduled_at": "2031-01-01T10:00:00"}, "scheduled_at"),
    ({"project_id": 1}, "project_id"),
]


@pytest.mark.parametrize(("body", "field"), INVALID_PATCHES)
async def test_invalid_patch_is_422_and_changes_nothing(client, alice, admin, body: dict, field: str) -> None:
    meeting = await create(client, alice)
    response = await client.patch(f"/api/meetings/{meeting['id']}", json=body, headers=admin.headers)
    assert set(error_locs(response)) == {("body", field)}
    row = await stored(meeting["id"])
    assert row.status == "requested" and row.meeting_link is None and row.updated_at == row.created_at


async def test_longest_meeting_link_is_accepted(client, alice, admin) -> None:
    meeting = await create(client, alice)
    link = "https://meet.example.com/" + "x" * 475
    assert len(link) == 500
    response = await client.patch(
        f"/api/meetings/{meeting['id']}",
        json={"status": "confirmed", "meeting_link": link},
        headers=admin.headers,
    )
    assert response.status_code == 200 and (await stored(meeting["id"])).meeting_link == link


async def test_a_refused_move_is_logged_as_failed(client, alice) -> None:
    meeting = await create(client, alice)
    await force_status(Meeting, meeting["id"], "completed", **left_in("completed"))
    response = await client.patch(
        f"/api/meetings/{meeting['id']}", json={"status": "cancelled"}, headers=alice.headers
    )
    assert_error(response, 409, "conflict")
    async with session() as db:
        log = await db.scalar(select(ActivityLog).where(ActivityLog.action == "update_meeting"))
    assert log.status == "failed" and log.entity_id == str(meeting["id"]) and log.user_id == alice.id
