"""Synopses: writing one for your own project, and who reads and lists which."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from lib.core.db import session
from lib.models.activity_logs import ActivityLog
from tests.functions.synopsis_support import (
    SYNOPSIS_KEYS,
    make_synopsis,
    synopsis_count,
    synopsis_row,
)
from tests.support import Account, error_locs, make_project

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
