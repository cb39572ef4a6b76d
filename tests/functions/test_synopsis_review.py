"""Synopses: the admin review machine (who may move a synopsis where), reviewer records, races."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select, update

from lib.core.db import session
from lib.models.activity_logs import ActivityLog
from lib.models.synopsis import Synopsis
from tests.functions.synopsis_support import (
    ADMIN_ALLOWED,
    OWNER_ALLOWED,
    REVIEW,
    STATUSES,
    make_synopsis,
    synopsis_row,
)
from tests.support import Account, force_status, wait_for_lock_waiters

# --- the review machine ---------------------------------------------------------------------------


TRANSITIONS = [
    pytest.param(
        actor,
        source,
        target,
        200 if (source, target) in allowed else 409,
        id=f"{actor}:{source}->{target}",
    )
    for actor, allowed in (("admin", ADMIN_ALLOWED), ("owner", OWNER_ALLOWED))
    for source in STATUSES
    for target in STATUSES
]


@pytest.mark.parametrize(("actor", "source", "target", "expected"), TRANSITIONS)
async def test_transition_table(
    client: httpx.AsyncClient,
    alice: Account,
    admin: Account,
    actor: str,
    source: str,
    target: str,
    expected: int,
) -> None:
    caller = {"admin": admin, "owner": alice}[actor]
    created = await make_synopsis(client, alice)
    await force_status(Synopsis, created["id"], source)
    body = {"status": target}
    if target in REVIEW:
        body["feedback"] = f"Feedback for {target}"

    response = await client.patch(f"/api/synopsis/{created['id']}", json=body, headers=caller.headers)

    assert response.status_code == expected, response.text
    row = await synopsis_row(created["id"])
    if expected == 200:
        out = response.json()
        assert out["status"] == row.status == target
        if target in REVIEW:
            assert out["feedback"] == row.feedback == body["feedback"]
            assert out["reviewed_by"] == row.reviewed_by == admin.id
            assert out["reviewed_at"] is not None and row.reviewed_at is not None
        else:
            assert (row.feedback, row.reviewed_by, row.reviewed_at) == (None, None, None)
    else:
        error = response.json()["error"]
        assert error["code"] == "conflict"
        assert f"from {source} to {target}" in error["message"]
        assert (row.status, row.feedback, row.reviewed_by, row.reviewed_at) == (source, None, None, None)
    async with session() as db:
        log = await db.scalar(select(ActivityLog).where(ActivityLog.action == "update_synopsis"))
    assert log is not None
    assert (log.user_id, log.entity_type, log.entity_id) == (caller.id, "synopsis", str(created["id"]))
    assert log.status == ("success" if expected == 200 else "failed")
    assert log.details is not None and log.details["status"] == target


async def test_full_review_records_reviewer(
    client: httpx.AsyncClient, alice: Account, admin: Account
) -> None:
    created = await make_synopsis(client, alice)
    url = f"/api/synopsis/{created['id']}"
    assert (await client.patch(url, json={"status": "submitted"}, headers=alice.headers)).status_code == 200
    assert (
        await client.patch(url, json={"status": "under_review"}, headers=admin.headers)
    ).status_code == 200
    # Once under review the owner can no longer touch the text.
    assert (await client.patch(url, json={"title": "Late edit"}, headers=alice.headers)).status_code == 409
    response = await client.patch(
        url, json={"status": "approved", "feedback": "Well scoped."}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    out = response.json()
    assert (out["status"], out["feedback"], out["reviewed_by"]) == ("approved", "Well scoped.", admin.id)
    row = await synopsis_row(created["id"])
    assert (row.status, row.feedback, row.reviewed_by, row.title) == (
        "approved",
        "Well scoped.",
        admin.id,
        "Soil sensing",
    )
    assert row.reviewed_at is not None and row.reviewed_at >= row.created_at


async def test_review_without_feedback_keeps_none(
    client: httpx.AsyncClient, alice: Account, admin: Account
) -> None:
    created = await make_synopsis(client, alice)
    await force_status(Synopsis, created["id"], "under_review")
    response = await client.patch(
        f"/api/synopsis/{created['id']}", json={"status": "rejected"}, headers=admin.headers
    )
    assert response.status_code == 200
    row = await synopsis_row(created["id"])
    assert (row.status, row.feedback, row.reviewed_by) == ("rejected", None, admin.id)


async def test_concurrent_decisions_one_wins(
    client: httpx.AsyncClient, alice: Account, admin: Account
) -> None:
    created = await make_synopsis(client, alice)
    await force_status(Synopsis, created["id"], "under_review")
    url = f"/api/synopsis/{created['id']}"
    approve, reject = await asyncio.gather(
        client.patch(url, json={"status": "approved", "feedback": "yes"}, headers=admin.headers),
        client.patch(url, json={"status": "rejected", "feedback": "no"}, headers=admin.headers),
    )
    assert sorted([approve.status_code, reject.status_code]) == [200, 409]
    winner = approve if approve.status_code == 200 else reject
    row = await synopsis_row(created["id"])
    assert (row.status, row.feedback) == (winner.json()["status"], winner.json()["feedback"])


async def test_edit_cannot_slip_in_once_review_started(client: httpx.AsyncClient, alice: Account) -> None:
    created = await make_synopsis(client, alice, status="submitted")
    # A review starts (uncommitted) while the owner's edit is in flight: the edit waits for it,
    # re-checks the status in its own UPDATE, and loses.
    async with session() as review:
        await review.execute(
            update(Synopsis).where(Synopsis.id == created["id"]).values(status="under_review")
        )
        edit = asyncio.ensure_future(
            client.patch(f"/api/synopsis/{created['id']}", json={"title": "Late"}, headers=alice.headers)
        )
        await wait_for_lock_waiters("synopsis", 1)
    response = await edit
    assert response.status_code == 409, response.text
    row = await synopsis_row(created["id"])
    assert (row.title, row.status) == ("Soil sensing", "under_review")
