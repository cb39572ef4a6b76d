"""Synopses: the owner edits while the synopsis is open; an edit and a move succeed or fail together."""

from __future__ import annotations

import httpx
import pytest

from lib.models.synopsis import Synopsis
from tests.functions.synopsis_support import (
    STATUSES,
    make_synopsis,
    synopsis_row,
)
from tests.support import Account, assert_error, error_locs, force_status

# --- content edits --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", STATUSES)
async def test_owner_edits_only_while_open(client: httpx.AsyncClient, alice: Account, status: str) -> None:
    created = await make_synopsis(client, alice)
    await force_status(Synopsis, created["id"], status)
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


@pytest.mark.parametrize(
    "body",
    [
        {"title": "Typo fixed"},
        {"abstract": "Rewritten by the reviewer"},
        {"objectives": None},
        {"methodology": "Another method"},
        {"title": "Typo fixed", "status": "under_review"},
    ],
)
async def test_finding_9_admin_cannot_rewrite_a_students_synopsis(
    client: httpx.AsyncClient, alice: Account, admin: Account, body: dict
) -> None:
    created = await make_synopsis(client, alice, status="submitted", objectives="Water less")
    response = await client.patch(f"/api/synopsis/{created['id']}", json=body, headers=admin.headers)
    error = assert_error(response, 409, "conflict")
    assert "author" in error["message"]
    row = await synopsis_row(created["id"])
    assert (row.title, row.abstract, row.objectives, row.methodology) == (
        "Soil sensing",
        "Sensors tell when to water.",
        "Water less",
        None,
    )
    assert (row.status, row.reviewed_by) == ("submitted", None)
    # Review fields stay the admin's: taking it under review, then deciding with feedback.
    for review in ({"status": "under_review"}, {"status": "approved", "feedback": "Well argued"}):
        moved = await client.patch(f"/api/synopsis/{created['id']}", json=review, headers=admin.headers)
        assert moved.status_code == 200, moved.text
    row = await synopsis_row(created["id"])
    assert (row.title, row.status, row.feedback, row.reviewed_by) == (
        "Soil sensing",
        "approved",
        "Well argued",
        admin.id,
    )


async def test_an_admin_edits_the_text_of_a_synopsis_of_their_own(
    client: httpx.AsyncClient, admin: Account
) -> None:
    created = await make_synopsis(client, admin)
    response = await client.patch(
        f"/api/synopsis/{created['id']}", json={"title": "Mine"}, headers=admin.headers
    )
    assert response.status_code == 200 and response.json()["title"] == "Mine"


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
    await force_status(Synopsis, created["id"], "under_review")
    response = await client.patch(f"/api/synopsis/{created['id']}", json=body, headers=admin.headers)
    assert loc in error_locs(response)
    row = await synopsis_row(created["id"])
    assert (row.title, row.status, row.feedback) == ("Soil sensing", "under_review", None)
