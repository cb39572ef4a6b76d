"""Meetings: concurrent moves of one meeting: exactly one wins, a confirmed meeting is never edited."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from lib.models.meetings import Meeting
from tests.functions.meetings_support import LINK, create, left_in, stored
from tests.support import force_status

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
        await force_status(Meeting, meeting["id"], "confirmed", **left_in("confirmed"))
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
