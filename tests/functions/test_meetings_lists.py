"""Meetings: who reads which, the list with its status and date filters, and pagination."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from lib.models.meetings import Meeting
from tests.functions.meetings_support import KOLKATA, create, left_in, soon
from tests.support import assert_error, error_locs, force_status

# --- read -------------------------------------------------------------------------------------


async def test_owner_and_admin_see_a_meeting_others_get_404(client, alice, bob, admin) -> None:
    meeting = await create(client, alice)
    for account in (alice, admin):
        response = await client.get(f"/api/meetings/{meeting['id']}", headers=account.headers)
        assert response.status_code == 200 and response.json() == meeting
    assert_error(await client.get(f"/api/meetings/{meeting['id']}", headers=bob.headers), 404, "not_found")
    assert_error(await client.get("/api/meetings/999999", headers=alice.headers), 404, "not_found")


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
    await force_status(Meeting, cancelled["id"], "cancelled", **left_in("cancelled"))
    for status, expected in (("requested", [requested["id"]]), ("cancelled", [cancelled["id"]])):
        response = await client.get("/api/meetings", params={"status": status}, headers=alice.headers)
        assert [item["id"] for item in response.json()["items"]] == expected
    response = await client.get("/api/meetings", params={"status": "done"}, headers=alice.headers)
    assert set(error_locs(response)) == {("query", "status")}


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
    assert set(error_locs(await client.get("/api/meetings", params=params, headers=alice.headers))) == {
        ("query", field)
    }


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
    assert set(error_locs(response)) == {("query", "to")}


@pytest.mark.parametrize("value", ["2030-01-01T10:00:00", "2030-01-01", "tomorrow", "2030-13-01T10:00:00Z"])
@pytest.mark.parametrize("name", ["from", "to"])
async def test_naive_or_malformed_date_filter_is_422(client, alice, name: str, value: str) -> None:
    response = await client.get("/api/meetings", params={name: value}, headers=alice.headers)
    assert set(error_locs(response)) == {("query", name)}
