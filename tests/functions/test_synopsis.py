"""Synopses: writing one for your own project, editing while open, and the admin review machine."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text, update

from lib.core.db import session
from lib.models.activity_logs import ActivityLog
from lib.models.synopsis import Synopsis
from tests.support import Account

STATUSES = ("draft", "submitted", "under_review", "approved", "rejected")
REVIEW = ("under_review", "approved", "rejected")
OWNER_ALLOWED = {("draft", "submitted")}
ADMIN_ALLOWED = {
    ("draft", "submitted"),
    ("submitted", "under_review"),
    ("under_review", "approved"),
    ("under_review", "rejected"),
}
SYNOPSIS_KEYS = {
    "id",
    "user_id",
    "project_id",
    "title",
    "abstract",
    "objectives",
    "methodology",
    "status",
    "feedback",
    "reviewed_by",
    "reviewed_at",
    "created_at",
    "updated_at",
}


async def make_project(client: httpx.AsyncClient, account: Account, title: str = "Smart farm") -> int:
    response = await client.post(
        "/api/projects", json={"title": title, "category": "iot"}, headers=account.headers
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def make_synopsis(client: httpx.AsyncClient, account: Account, **fields: Any) -> dict:
    if "project_id" not in fields:
        fields["project_id"] = await make_project(client, account)
    body = {"title": "Soil sensing", "abstract": "Sensors tell when to water.", **fields}
    response = await client.post("/api/synopsis", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def synopsis_row(synopsis_id: int) -> Synopsis:
    async with session() as db:
        row = await db.get(Synopsis, synopsis_id)
    assert row is not None
    return row


async def synopsis_count() -> int:
    async with session() as db:
        return len((await db.scalars(select(Synopsis.id))).all())


async def set_status(synopsis_id: int, status: str) -> None:
    async with session() as db:
        await db.execute(update(Synopsis).where(Synopsis.id == synopsis_id).values(status=status))


def error_locs(response: httpx.Response) -> set[tuple[Any, ...]]:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    return {tuple(item["loc"]) for item in error["details"]}


# --- create ---------------------------------------------------------------------------------------


async def test_create_synopsis(client: httpx.AsyncClient, alice: Account) -> None:
    project_id = await make_project(client, alice)
    body = {
        "project_id": project_id,
        "title": "  Soil sensing  ",
        "abstract": "Sensors tell when to water.",
        "objectives": "Save water.",
        "methodology": "Measure, model, act.",
    }
    response = await client.post("/api/synopsis", json=body, headers=alice.headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == SYNOPSIS_KEYS
    assert created["user_id"] == alice.id and created["project_id"] == project_id
    assert created["title"] == "Soil sensing"  # trimmed
    assert (created["status"], created["feedback"], created["reviewed_by"], created["reviewed_at"]) == (
        "draft",
        None,
        None,
        None,
    )
    row = await synopsis_row(created["id"])
    assert (row.user_id, row.project_id, row.title, row.abstract, row.objectives, row.methodology) == (
        alice.id,
        project_id,
        "Soil sensing",
        "Sensors tell when to water.",
        "Save water.",
        "Measure, model, act.",
    )
    assert row.status == "draft"
    async with session() as db:
        log = await db.scalar(select(ActivityLog).where(ActivityLog.action == "create_synopsis"))
    assert log is not None
    assert (log.user_id, log.entity_type, log.entity_id, log.status) == (
        alice.id,
        "synopsis",
        str(created["id"]),
        "success",
    )


async def test_create_submitted_and_optional_fields_absent(client: httpx.AsyncClient, alice: Account) -> None:
    created = await make_synopsis(client, alice, status="submitted")
    assert created["status"] == "submitted"
    assert created["objectives"] is None and created["methodology"] is None
    assert (await synopsis_row(created["id"])).status == "submitted"


@pytest.mark.parametrize("who", ["bob", "admin"])
async def test_another_users_project_is_404(
    client: httpx.AsyncClient, alice: Account, bob: Account, admin: Account, who: str
) -> None:
    caller = {"bob": bob, "admin": admin}[who]
    project_id = await make_project(client, alice)
    response = await client.post(
        "/api/synopsis",
        json={"project_id": project_id, "title": "t", "abstract": "a"},
        headers=caller.headers,
    )
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "not_found"
    assert await synopsis_count() == 0


async def test_deleted_or_missing_project_is_404(client: httpx.AsyncClient, alice: Account) -> None:
    project_id = await make_project(client, alice)
    assert (await client.delete(f"/api/projects/{project_id}", headers=alice.headers)).status_code == 204
    for missing in (project_id, 999_999):
        response = await client.post(
            "/api/synopsis",
            json={"project_id": missing, "title": "t", "abstract": "a"},
            headers=alice.headers,
        )
        assert response.status_code == 404, response.text
    assert await synopsis_count() == 0


VALID = {"project_id": 1, "title": "Soil sensing", "abstract": "Sensors."}


@pytest.mark.parametrize(
    ("changes", "loc"),
    [
        ({"project_id": None}, ("body", "project_id")),
        ({"project_id": 0}, ("body", "project_id")),
        ({"project_id": "one"}, ("body", "project_id")),
        ({"title": ""}, ("body", "title")),
        ({"title": "   "}, ("body", "title")),
        ({"title": "x" * 201}, ("body", "title")),
        ({"title": 5}, ("body", "title")),
        ({"title": None}, ("body", "title")),
        ({"abstract": ""}, ("body", "abstract")),
        ({"abstract": "x" * 20_001}, ("body", "abstract")),
        ({"abstract": ["a"]}, ("body", "abstract")),
        ({"objectives": "x" * 20_001}, ("body", "objectives")),
        ({"methodology": "x" * 20_001}, ("body", "methodology")),
        ({"methodology": {"steps": 3}}, ("body", "methodology")),
        ({"status": "approved"}, ("body", "status")),
        ({"status": "under_review"}, ("body", "status")),
        ({"status": "done"}, ("body", "status")),
        ({"feedback": "self-approved"}, ("body", "feedback")),
        ({"reviewed_by": 1}, ("body", "reviewed_by")),
        ({"title": "a\x00b"}, ("body", "title")),
    ],
)
async def test_create_validation(
    client: httpx.AsyncClient, alice: Account, changes: dict, loc: tuple[str, ...]
) -> None:
    await make_project(client, alice)  # project 1 is alice's: only the field is wrong
    response = await client.post("/api/synopsis", json={**VALID, **changes}, headers=alice.headers)
    assert loc in error_locs(response)
    assert await synopsis_count() == 0


@pytest.mark.parametrize("missing", ["project_id", "title", "abstract"])
async def test_create_requires_fields(client: httpx.AsyncClient, alice: Account, missing: str) -> None:
    body = {key: value for key, value in VALID.items() if key != missing}
    response = await client.post("/api/synopsis", json=body, headers=alice.headers)
    assert ("body", missing) in error_locs(response)


async def test_limits_are_inclusive(client: httpx.AsyncClient, alice: Account) -> None:
    created = await make_synopsis(
        client, alice, title="t" * 200, abstract="a" * 20_000, objectives="o" * 20_000, methodology=""
    )
    row = await synopsis_row(created["id"])
    assert (len(row.title), len(row.abstract), len(row.objectives or ""), row.methodology) == (
        200,
        20_000,
        20_000,
        "",
    )


async def test_synopsis_needs_a_user(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/synopsis")).status_code == 401
    assert (await client.post("/api/synopsis", json=VALID)).status_code == 401
    assert (await client.get("/api/synopsis/1")).status_code == 401
    assert (await client.patch("/api/synopsis/1", json={"title": "x"})).status_code == 401


# --- read -----------------------------------------------------------------------------------------


async def test_get_synopsis_owner_and_admin(
    client: httpx.AsyncClient, alice: Account, bob: Account, admin: Account
) -> None:
    created = await make_synopsis(client, alice)
    for account in (alice, admin):
        response = await client.get(f"/api/synopsis/{created['id']}", headers=account.headers)
        assert response.status_code == 200 and response.json() == created
    response = await client.get(f"/api/synopsis/{created['id']}", headers=bob.headers)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert (await client.get("/api/synopsis/999999", headers=alice.headers)).status_code == 404


async def test_list_own_admin_sees_all_and_filters(
    client: httpx.AsyncClient, alice: Account, bob: Account, admin: Account
) -> None:
    project_id = await make_project(client, alice)
    first = await make_synopsis(client, alice, project_id=project_id)
    second = await make_synopsis(client, alice, status="submitted")
    theirs = await make_synopsis(client, bob)

    response = await client.get("/api/synopsis", headers=alice.headers)
    assert response.status_code == 200
    assert response.json() == {"items": [second, first], "next_cursor": None}
    response = await client.get("/api/synopsis", params={"status": "submitted"}, headers=alice.headers)
    assert response.json()["items"] == [second]
    response = await client.get("/api/synopsis", params={"status": "approved"}, headers=alice.headers)
    assert response.json()["items"] == []
    response = await client.get("/api/synopsis", params={"project_id": project_id}, headers=alice.headers)
    assert response.json()["items"] == [first]
    response = await client.get("/api/synopsis", params={"user_id": bob.id}, headers=alice.headers)
    assert response.json()["items"] == []

    response = await client.get("/api/synopsis", headers=admin.headers)
    assert [item["id"] for item in response.json()["items"]] == [theirs["id"], second["id"], first["id"]]
    response = await client.get("/api/synopsis", params={"user_id": bob.id}, headers=admin.headers)
    assert response.json()["items"] == [theirs]
    response = await client.get(
        "/api/synopsis", params={"user_id": alice.id, "status": "draft"}, headers=admin.headers
    )
    assert response.json()["items"] == [first]


async def test_list_pagination_newest_first(client: httpx.AsyncClient, alice: Account) -> None:
    project_id = await make_project(client, alice)
    created = [(await make_synopsis(client, alice, project_id=project_id))["id"] for _ in range(5)]
    seen: list[int] = []
    params: dict[str, Any] = {"limit": 2}
    for expected_size in (2, 2, 1):
        response = await client.get("/api/synopsis", params=params, headers=alice.headers)
        page = response.json()
        assert len(page["items"]) == expected_size
        seen += [item["id"] for item in page["items"]]
        params["cursor"] = page["next_cursor"]
    assert params["cursor"] is None
    assert seen == created[::-1]


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"status": "pending"}, ("query", "status")),
        ({"limit": 0}, ("query", "limit")),
        ({"limit": 101}, ("query", "limit")),
        ({"user_id": -1}, ("query", "user_id")),
        ({"project_id": "x"}, ("query", "project_id")),
        ({"cursor": "???"}, ("query", "cursor")),
    ],
)
async def test_list_validation(
    client: httpx.AsyncClient, alice: Account, params: dict, loc: tuple[str, ...]
) -> None:
    response = await client.get("/api/synopsis", params=params, headers=alice.headers)
    assert loc in error_locs(response)


# --- content edits --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", STATUSES)
async def test_owner_edits_only_while_open(client: httpx.AsyncClient, alice: Account, status: str) -> None:
    created = await make_synopsis(client, alice)
    await set_status(created["id"], status)
    changes = {"title": "Better title", "abstract": "Better abstract", "objectives": None}
    response = await client.patch(f"/api/synopsis/{created['id']}", json=changes, headers=alice.headers)
    row = await synopsis_row(created["id"])
    if status in ("draft", "submitted"):
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["title"], body["abstract"], body["objectives"], body["status"]) == (
            "Better title",
            "Better abstract",
            None,
            status,
        )
        assert (row.title, row.abstract, row.status) == ("Better title", "Better abstract", status)
        assert row.updated_at > row.created_at
    else:
        assert response.status_code == 409, response.text
        assert response.json()["error"]["code"] == "conflict"
        assert status in response.json()["error"]["message"]
        assert (row.title, row.abstract, row.status) == (
            "Soil sensing",
            "Sensors tell when to water.",
            status,
        )


async def test_another_users_synopsis_is_404_and_unchanged(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    created = await make_synopsis(client, alice)
    for body in ({"title": "Mine now"}, {"status": "submitted"}, {"title": "x", "status": "submitted"}):
        response = await client.patch(f"/api/synopsis/{created['id']}", json=body, headers=bob.headers)
        assert response.status_code == 404, response.text
    row = await synopsis_row(created["id"])
    assert (row.title, row.status) == ("Soil sensing", "draft")


async def test_patch_unknown_synopsis_is_404(client: httpx.AsyncClient, admin: Account) -> None:
    for body in ({"title": "x"}, {"status": "under_review"}):
        response = await client.patch("/api/synopsis/424242", json=body, headers=admin.headers)
        assert response.status_code == 404


async def test_edit_and_submit_in_one_request(client: httpx.AsyncClient, alice: Account) -> None:
    created = await make_synopsis(client, alice)
    response = await client.patch(
        f"/api/synopsis/{created['id']}",
        json={"title": "Final title", "status": "submitted"},
        headers=alice.headers,
    )
    assert response.status_code == 200, response.text
    assert (response.json()["title"], response.json()["status"]) == ("Final title", "submitted")
    row = await synopsis_row(created["id"])
    assert (row.title, row.status) == ("Final title", "submitted")


async def test_failed_move_rolls_back_the_edit(client: httpx.AsyncClient, alice: Account) -> None:
    created = await make_synopsis(client, alice, status="submitted")
    response = await client.patch(
        f"/api/synopsis/{created['id']}",
        json={"title": "Sneaky", "status": "approved"},
        headers=alice.headers,
    )
    assert response.status_code == 409, response.text
    row = await synopsis_row(created["id"])
    assert (row.title, row.status) == ("Soil sensing", "submitted")


async def test_admin_edits_and_takes_under_review(
    client: httpx.AsyncClient, alice: Account, admin: Account
) -> None:
    created = await make_synopsis(client, alice, status="submitted")
    response = await client.patch(
        f"/api/synopsis/{created['id']}",
        json={"title": "Typo fixed", "status": "under_review"},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    row = await synopsis_row(created["id"])
    assert (row.title, row.status, row.reviewed_by) == ("Typo fixed", "under_review", admin.id)


async def test_empty_patch_returns_the_synopsis_unchanged(client: httpx.AsyncClient, alice: Account) -> None:
    created = await make_synopsis(client, alice)
    response = await client.patch(f"/api/synopsis/{created['id']}", json={}, headers=alice.headers)
    assert response.status_code == 200 and response.json() == created


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"title": None}, ("body", "title")),
        ({"title": ""}, ("body", "title")),
        ({"title": "x" * 201}, ("body", "title")),
        ({"abstract": None}, ("body", "abstract")),
        ({"abstract": "x" * 20_001}, ("body", "abstract")),
        ({"objectives": "x" * 20_001}, ("body", "objectives")),
        ({"methodology": 42}, ("body", "methodology")),
        ({"status": None}, ("body", "status")),
        ({"status": "archived"}, ("body", "status")),
        ({"feedback": "Looks good"}, ("body", "feedback")),
        ({"feedback": "Looks good", "status": "submitted"}, ("body", "feedback")),
        ({"feedback": "", "status": "approved"}, ("body", "feedback")),
        ({"feedback": "x" * 20_001, "status": "approved"}, ("body", "feedback")),
        ({"feedback": None, "status": "approved"}, ("body", "feedback")),
        ({"project_id": 2}, ("body", "project_id")),
        ({"reviewed_by": 1}, ("body", "reviewed_by")),
    ],
)
async def test_patch_validation(
    client: httpx.AsyncClient, alice: Account, admin: Account, body: dict, loc: tuple[str, ...]
) -> None:
    created = await make_synopsis(client, alice)
    await set_status(created["id"], "under_review")
    response = await client.patch(f"/api/synopsis/{created['id']}", json=body, headers=admin.headers)
    assert loc in error_locs(response)
    row = await synopsis_row(created["id"])
    assert (row.title, row.status, row.feedback) == ("Soil sensing", "under_review", None)


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
    await set_status(created["id"], source)
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
    await set_status(created["id"], "under_review")
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
    await set_status(created["id"], "under_review")
    url = f"/api/synopsis/{created['id']}"
    approve, reject = await asyncio.gather(
        client.patch(url, json={"status": "approved", "feedback": "yes"}, headers=admin.headers),
        client.patch(url, json={"status": "rejected", "feedback": "no"}, headers=admin.headers),
    )
    assert sorted([approve.status_code, reject.status_code]) == [200, 409]
    winner = approve if approve.status_code == 200 else reject
    row = await synopsis_row(created["id"])
    assert (row.status, row.feedback) == (winner.json()["status"], winner.json()["feedback"])


async def _wait_for_lock_waiters(count: int) -> None:
    for _ in range(250):
        # A new transaction each time: pg_stat_activity is a snapshot within one.
        async with session() as db:
            waiting = await db.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND query ILIKE 'UPDATE synopsis%'"
                )
            )
        if waiting >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"expected {count} UPDATEs waiting on the synopsis row lock")


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
        await _wait_for_lock_waiters(1)
    response = await edit
    assert response.status_code == 409, response.text
    row = await synopsis_row(created["id"])
    assert (row.title, row.status) == ("Soil sensing", "under_review")
