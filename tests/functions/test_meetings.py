"""Meetings: requesting one (for your own project, within the limits), stored as requested."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lib.core.db import session
from lib.models.activity_logs import ActivityLog
from tests.functions.meetings_support import LINK, count_meetings, create, soon, stored
from tests.support import assert_error, error_locs, make_project

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
        assert f"Project {project_id} not found" in assert_error(response, 404, "not_found")["message"]
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
    assert set(error_locs(response)) == {("body", field)}
    assert await count_meetings() == 0


@pytest.mark.parametrize("missing", ["scheduled_at", "duration_minutes", "agenda"])
async def test_missing_field_is_422(client, alice, missing: str) -> None:
    body = {"scheduled_at": soon().isoformat(), "duration_minutes": 30, "agenda": "Plan"}
    del body[missing]
    assert set(error_locs(await client.post("/api/meetings", json=body, headers=alice.headers))) == {
        ("body", missing)
    }


async def test_meetings_require_a_user(client) -> None:
    assert_error(await client.get("/api/meetings"), 401, "unauthorized")
    assert_error(await client.post("/api/meetings", json={}), 401, "unauthorized")
