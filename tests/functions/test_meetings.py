"""Meetings: requests, admin confirmation, owner rescheduling, filters, ownership and races."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select, update

from lib.core.db import session
from lib.models.activity_logs import ActivityLog
from lib.models.meetings import Meeting

LINK = "https://meet.example.com/abc-defg-hij"
KOLKATA = ZoneInfo("Asia/Kolkata")


def soon(days: float = 1, **kw: float) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(days=days, **kw)


def error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert body["code"] == code
    return body


def locs(response: httpx.Response) -> set[tuple[Any, ...]]:
    return {tuple(item["loc"]) for item in error(response, 422, "validation_error")["details"]}


async def create(client: httpx.AsyncClient, account: Any, **fields: Any) -> dict[str, Any]:
    body = {"scheduled_at": soon().isoformat(), "duration_minutes": 30, "agenda": "Review my synopsis"}
    body.update(fields)
    response = await client.post("/api/meetings", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def stored(meeting_id: int) -> Meeting | None:
    async with session() as db:
        return await db.get(Meeting, meeting_id)


async def count_meetings() -> int:
    async with session() as db:
        return await db.scalar(select(func.count()).select_from(Meeting))


async def force_status(meeting_id: int, status: str) -> None:
    """Put a meeting straight into `status` (as earlier moves would have left it)."""
    link = LINK if status in {"confirmed", "completed"} else None
    async with session() as db:
        await db.execute(
            update(Meeting)
            .where(Meeting.id == meeting_id)
            .values(status=status, meeting_link=link, updated_at=Meeting.created_at)
        )


async def make_project(client: httpx.AsyncClient, account: Any) -> int:
    response = await client.post(
        "/api/projects", json={"title": "Smart farm", "category": "iot"}, headers=account.headers
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


# --- create -----------------------------------------------------------------------------------


async def test_create_meeting_is_201_requested_and_stored(client, alice) -> None:
    local = (soon(3)).astimezone(UTC).replace(tzinfo=None)
    sent = f"{local.isoformat()}+05:30"  # an offset other than UTC comes back as the same instant in UTC
    response = await client.post(
        "/api/meetings",
        json={"scheduled_at": sent, "duration_minutes": 45, "agenda": "  Discuss scope  "},
        headers=alice.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    instant = datetime.fromisoformat(sent)
    assert body["status"] == "requested"
    assert body["user_id"] == alice.id and body["project_id"] is None and body["meeting_link"] is None
    assert body["duration_minutes"] == 45 and body["agenda"] == "Discuss scope"
    assert datetime.fromisoformat(body["scheduled_at"]) == instant
    assert body["scheduled_at"].endswith("Z")  # stored and answered in UTC
    assert set(body) >= {"id", "created_at", "updated_at"}

    row = await stored(body["id"])
    assert row is not None and row.user_id == alice.id and row.status == "requested"
    assert row.scheduled_at == instant and row.duration_minutes == 45 and row.agenda == "Discuss scope"
    async with session() as db:
        log = await db.scalar(select(ActivityLog).where(ActivityLog.action == "create_meeting"))
    assert log is not None and log.status == "success" and log.user_id == alice.id
    assert log.entity_type == "meeting" and log.entity_id == str(body["id"])


@pytest.mark.parametrize("minutes", [15, 180])
async def test_duration_boundaries_are_accepted(client, alice, minutes: int) -> None:
    assert (await create(client, alice, duration_minutes=minutes))["duration_minutes"] == minutes


async def test_longest_agenda_and_a_year_ahead_are_accepted(client, alice) -> None:
    body = await create(client, alice, agenda="a" * 2000, scheduled_at=soon(365).isoformat())
    assert len(body["agenda"]) == 2000


async def test_create_with_own_project(client, alice) -> None:
    project_id = await make_project(client, alice)
    body = await create(client, alice, project_id=project_id)
    assert body["project_id"] == project_id
    assert (await stored(body["id"])).project_id == project_id


async def test_create_with_foreign_missing_or_deleted_project_is_404(client, alice, bob, admin) -> None:
    bobs = await make_project(client, bob)
    deleted = await make_project(client, alice)
    assert (await client.delete(f"/api/projects/{deleted}", headers=alice.headers)).status_code == 204
    base = {"scheduled_at": soon().isoformat(), "duration_minutes": 30, "agenda": "x"}
    for account, project_id in ((alice, bobs), (alice, 999_999), (alice, deleted), (admin, bobs)):
        response = await client.post(
            "/api/meetings", json={**base, "project_id": project_id}, headers=account.headers
        )
        assert f"Project {project_id} not found" in error(response, 404, "not_found")["message"]
    assert await count_meetings() == 0


INVALID_CREATES = [
    ({"scheduled_at": "2020-01-01T10:00:00+00:00"}, "scheduled_at"),  # past
    ({"scheduled_at": "PAST_MINUTE"}, "scheduled_at"),  # a minute ago
    ({"scheduled_at": "NAIVE"}, "scheduled_at"),  # no offset
    ({"scheduled_at": "TOO_FAR"}, "scheduled_at"),  # more than a year ahead
    ({"scheduled_at": "next tuesday"}, "scheduled_at"),
    ({"scheduled_at": 1_900_000_000}, "scheduled_at"),  # a Unix timestamp is not ISO 8601
    ({"scheduled_at": None}, "scheduled_at"),
    ({"duration_minutes": 14}, "duration_minutes"),
    ({"duration_minutes": 181}, "duration_minutes"),
    ({"duration_minutes": 0}, "duration_minutes"),
    ({"duration_minutes": "30"}, "duration_minutes"),
    ({"duration_minutes": 30.5}, "duration_minutes"),
    ({"duration_minutes": True}, "duration_minutes"),
    ({"agenda": ""}, "agenda"),
    ({"agenda": "   "}, "agenda"),
    ({"agenda": "a" * 2001}, "agenda"),
    ({"agenda": 42}, "agenda"),
    ({"agenda": "bad\x00byte"}, "agenda"),
    ({"project_id": 0}, "project_id"),
    ({"project_id": "abc"}, "project_id"),
    ({"project_id": 2**63}, "project_id"),
    ({"status": "confirmed"}, "status"),  # the server sets the status
    ({"meeting_link": LINK}, "meeting_link"),  # only an admin's confirmation sets it
]


@pytest.mark.parametrize(("change", "field"), INVALID_CREATES)
async def test_invalid_create_is_422_naming_the_field(client, alice, change: dict, field: str) -> None:
    special = {
        "PAST_MINUTE": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        "NAIVE": soon().replace(tzinfo=None).isoformat(),
        "TOO_FAR": soon(367).isoformat(),
    }
    change = {
        key: special.get(value, value) if isinstance(value, str) else value for key, value in change.items()
    }
    body = {"scheduled_at": soon().isoformat(), "duration_minutes": 30, "agenda": "Plan", **change}
    response = await client.post("/api/meetings", json=body, headers=alice.headers)
    assert locs(response) == {("body", field)}
    assert await count_meetings() == 0


@pytest.mark.parametrize("missing", ["scheduled_at", "duration_minutes", "agenda"])
async def test_missing_field_is_422(client, alice, missing: str) -> None:
    body = {"scheduled_at": soon().isoformat(), "duration_minutes": 30, "agenda": "Plan"}
    del body[missing]
    assert locs(await client.post("/api/meetings", json=body, headers=alice.headers)) == {("body", missing)}


async def test_meetings_require_a_user(client) -> None:
    error(await client.get("/api/meetings"), 401, "unauthorized")
    error(await client.post("/api/meetings", json={}), 401, "unauthorized")


# --- read -------------------------------------------------------------------------------------


async def test_owner_and_admin_see_a_meeting_others_get_404(client, alice, bob, admin) -> None:
    meeting = await create(client, alice)
    for account in (alice, admin):
        response = await client.get(f"/api/meetings/{meeting['id']}", headers=account.headers)
        assert response.status_code == 200 and response.json() == meeting
    error(await client.get(f"/api/meetings/{meeting['id']}", headers=bob.headers), 404, "not_found")
    error(await client.get("/api/meetings/999999", headers=alice.headers), 404, "not_found")


async def test_list_shows_own_meetings_newest_first_admin_sees_all(client, alice, bob, admin) -> None:
    first, second = await create(client, alice), await create(client, alice)
    bobs = await create(client, bob)

    async def ids(account: Any, **params: Any) -> list[int]:
        response = await client.get("/api/meetings", params=params, headers=account.headers)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await ids(alice) == [second["id"], first["id"]]
    assert await ids(bob) == [bobs["id"]]
    assert await ids(admin) == [bobs["id"], second["id"], first["id"]]
    assert await ids(admin, user_id=alice.id) == [second["id"], first["id"]]
    assert await ids(bob, user_id=alice.id) == []  # user_id narrows, it never widens a user's view


async def test_status_filter(client, alice) -> None:
    requested, cancelled = await create(client, alice), await create(client, alice)
    await force_status(cancelled["id"], "cancelled")
    for status, expected in (("requested", [requested["id"]]), ("cancelled", [cancelled["id"]])):
        response = await client.get("/api/meetings", params={"status": status}, headers=alice.headers)
        assert [item["id"] for item in response.json()["items"]] == expected
    response = await client.get("/api/meetings", params={"status": "done"}, headers=alice.headers)
    assert locs(response) == {("query", "status")}


async def test_pagination_walks_every_meeting_once(client, alice) -> None:
    made = [(await create(client, alice))["id"] for _ in range(5)]
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = (await client.get("/api/meetings", params=params, headers=alice.headers)).json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == made[::-1] and pages == 3


@pytest.mark.parametrize(
    ("params", "field"), [({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"cursor": "nope"}, "cursor")]
)
async def test_bad_list_parameters_are_422(client, alice, params: dict, field: str) -> None:
    assert locs(await client.get("/api/meetings", params=params, headers=alice.headers)) == {("query", field)}


# --- date filters -----------------------------------------------------------------------------


@pytest.fixture
async def schedule(client, alice) -> dict[str, Any]:
    """Three of alice's meetings one, two and three days ahead (whole seconds), keyed by day."""
    base = soon(0, hours=1)
    days = {day: base + timedelta(days=day) for day in (1, 2, 3)}
    ids = {day: (await create(client, alice, scheduled_at=at.isoformat()))["id"] for day, at in days.items()}
    return {"at": days, "id": ids}


async def _between(client, alice, **params: str) -> list[int]:
    response = await client.get("/api/meetings", params=params, headers=alice.headers)
    assert response.status_code == 200, response.text
    return sorted(item["id"] for item in response.json()["items"])


async def test_from_and_to_are_inclusive_boundaries(client, alice, schedule) -> None:
    at, ids = schedule["at"], schedule["id"]
    two = at[2].isoformat()
    assert await _between(client, alice, **{"from": two}) == [ids[2], ids[3]]
    assert await _between(client, alice, to=two) == [ids[1], ids[2]]
    assert await _between(client, alice, **{"from": two, "to": two}) == [ids[2]]
    just_after = (at[2] + timedelta(seconds=1)).isoformat()
    just_before = (at[2] - timedelta(seconds=1)).isoformat()
    assert await _between(client, alice, **{"from": just_after}) == [ids[3]]
    assert await _between(client, alice, to=just_before) == [ids[1]]
    assert await _between(client, alice, **{"from": at[1].isoformat(), "to": at[3].isoformat()}) == sorted(
        ids.values()
    )


async def test_date_filter_respects_offsets(client, alice, schedule) -> None:
    at, ids = schedule["at"], schedule["id"]
    india = at[2].astimezone(KOLKATA).isoformat()
    assert india.endswith("+05:30")
    assert await _between(client, alice, **{"from": india, "to": india}) == [ids[2]]
    zulu = at[3].isoformat().replace("+00:00", "Z")
    assert await _between(client, alice, **{"from": zulu}) == [ids[3]]
    # A `+` the client forgot to encode arrives as a space; it still means the offset.
    unencoded = at[2].astimezone(KOLKATA).isoformat()
    response = await client.get(f"/api/meetings?from={unencoded}&to={unencoded}", headers=alice.headers)
    assert [item["id"] for item in response.json()["items"]] == [ids[2]]


async def test_from_after_to_is_422(client, alice, schedule) -> None:
    at = schedule["at"]
    params = {"from": at[3].isoformat(), "to": at[1].isoformat()}
    response = await client.get("/api/meetings", params=params, headers=alice.headers)
    assert locs(response) == {("query", "to")}


@pytest.mark.parametrize("value", ["2030-01-01T10:00:00", "2030-01-01", "tomorrow", "2030-13-01T10:00:00Z"])
@pytest.mark.parametrize("name", ["from", "to"])
async def test_naive_or_malformed_date_filter_is_422(client, alice, name: str, value: str) -> None:
    response = await client.get("/api/meetings", params={name: value}, headers=alice.headers)
    assert locs(response) == {("query", name)}


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
    await force_status(meeting["id"], start)
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
        error(response, 409, "conflict")
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
    await force_status(meeting["id"], start)
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
        error(response, 409, "conflict")
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
    error(response, 404, "not_found")
    row = await stored(meeting["id"])
    assert row.status == "requested" and row.agenda == meeting["agenda"] and row.meeting_link is None


async def test_patch_of_missing_meeting_is_404(client, admin) -> None:
    response = await client.patch("/api/meetings/424242", json={"status": "cancelled"}, headers=admin.headers)
    assert "Meeting 424242 not found" in error(response, 404, "not_found")["message"]


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
    assert locs(response) == {("body", field)}
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
    await force_status(meeting["id"], "completed")
    response = await client.patch(
        f"/api/meetings/{meeting['id']}", json={"status": "cancelled"}, headers=alice.headers
    )
    error(response, 409, "conflict")
    async with session() as db:
        log = await db.scalar(select(ActivityLog).where(ActivityLog.action == "update_meeting"))
    assert log.status == "failed" and log.entity_id == str(meeting["id"]) and log.user_id == alice.id


# --- races ------------------------------------------------------------------------------------


def _patch(client: httpx.AsyncClient, meeting_id: int, account: Any, body: dict) -> Any:
    return client.patch(f"/api/meetings/{meeting_id}", json=body, headers=account.headers)


CONFIRM = {"status": "confirmed", "meeting_link": LINK}
CANCEL = {"status": "cancelled"}


async def test_race_admin_confirm_vs_owner_cancel(client, alice, admin) -> None:
    """Racing on a confirmed meeting (complete vs cancel) exactly one wins; on a requested one the
    cancel always lands, and the confirm only if it came first (confirmed→cancelled is legal)."""
    confirmed = [await create(client, alice) for _ in range(4)]
    for meeting in confirmed:
        await force_status(meeting["id"], "confirmed")
    responses = await asyncio.gather(
        *(
            call
            for meeting in confirmed
            for call in (
                _patch(client, meeting["id"], admin, {"status": "completed"}),
                _patch(client, meeting["id"], alice, CANCEL),
            )
        )
    )
    for meeting, complete, cancel in zip(confirmed, responses[::2], responses[1::2], strict=True):
        assert sorted([complete.status_code, cancel.status_code]) == [200, 409]
        winner = "completed" if complete.status_code == 200 else "cancelled"
        assert (await stored(meeting["id"])).status == winner

    requested = [await create(client, alice) for _ in range(4)]
    responses = await asyncio.gather(
        *(
            call
            for meeting in requested
            for call in (
                _patch(client, meeting["id"], admin, CONFIRM),
                _patch(client, meeting["id"], alice, CANCEL),
            )
        )
    )
    for meeting, confirm, cancel in zip(requested, responses[::2], responses[1::2], strict=True):
        assert cancel.status_code == 200 and confirm.status_code in (200, 409)
        row = await stored(meeting["id"])
        assert row.status == "cancelled"
        # The link is there exactly when the confirm won its race (it ran before the cancel).
        assert (row.meeting_link == LINK) == (confirm.status_code == 200)


async def test_race_two_confirms_exactly_one_wins(client, alice, admin) -> None:
    from tests.support import make_admin

    other_admin = await make_admin(client, "admin2@example.com")
    meeting = await create(client, alice)
    first, second = await asyncio.gather(
        _patch(client, meeting["id"], admin, {"status": "confirmed", "meeting_link": LINK + "-1"}),
        _patch(client, meeting["id"], other_admin, {"status": "confirmed", "meeting_link": LINK + "-2"}),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    winner = first if first.status_code == 200 else second
    row = await stored(meeting["id"])
    assert row.status == "confirmed" and row.meeting_link == winner.json()["meeting_link"]


async def test_race_confirm_vs_reschedule_never_edits_a_confirmed_meeting(client, alice, admin) -> None:
    meetings = [await create(client, alice) for _ in range(4)]
    responses = await asyncio.gather(
        *(
            call
            for meeting in meetings
            for call in (
                _patch(client, meeting["id"], admin, CONFIRM),
                _patch(client, meeting["id"], alice, {"agenda": "Moved"}),
            )
        )
    )
    for meeting, confirm, edit in zip(meetings, responses[::2], responses[1::2], strict=True):
        row = await stored(meeting["id"])
        assert confirm.status_code == 200 and row.status == "confirmed"
        # An edit that read `requested` before the confirm either landed first or was refused.
        assert edit.status_code in (200, 409)
        assert (row.agenda == "Moved") == (edit.status_code == 200)
