"""Projects: create, read, patch and soft-delete one project; every write's activity row."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import httpx
import pytest

from tests.functions.projects_support import PROJECT, all_rows, create, listed, row
from tests.support import Account, activity_rows, assert_error, error_locs

OUT_KEYS = {
    "id",
    "user_id",
    "title",
    "description",
    "category",
    "tech_stack",
    "deadline",
    "status",
    "created_at",
    "updated_at",
}


# --- create, get, patch, delete -------------------------------------------------------------------


async def test_create_returns_the_project_and_stores_it(client: httpx.AsyncClient, alice: Account) -> None:
    response = await client.post("/api/projects", json=PROJECT, headers=alice.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == OUT_KEYS
    assert body["user_id"] == alice.id
    assert body["status"] == "draft"
    assert body["tech_stack"] == ["python", "mqtt"]
    assert body["deadline"] == "2027-03-31"
    assert {k: body[k] for k in ("title", "description", "category")} == {
        k: PROJECT[k] for k in ("title", "description", "category")
    }

    stored = await row(body["id"])
    assert stored is not None
    assert stored.user_id == alice.id and stored.title == "Smart irrigation"
    assert stored.status == "draft" and stored.tech_stack == ["python", "mqtt"]
    assert stored.deadline == date(2027, 3, 31) and stored.deleted_at is None


async def test_create_with_only_required_fields_uses_defaults(
    client: httpx.AsyncClient, alice: Account
) -> None:
    response = await client.post(
        "/api/projects", json={"title": "  Minimal  ", "category": " ml "}, headers=alice.headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["title"] == "Minimal" and body["category"] == "ml"
    assert body["description"] == "" and body["tech_stack"] == [] and body["deadline"] is None
    assert body["status"] == "draft"
    stored = await row(body["id"])
    assert stored is not None and stored.category == "ml" and stored.tech_stack == []


async def test_create_accepts_fields_at_their_maximum_length(
    client: httpx.AsyncClient, alice: Account
) -> None:
    body = await create(client, alice, title="t" * 200, description="d" * 10_000, status="submitted")
    stored = await row(body["id"])
    assert stored is not None
    assert len(stored.title) == 200 and len(stored.description) == 10_000 and stored.status == "submitted"


async def test_get_returns_the_owners_project(client: httpx.AsyncClient, alice: Account) -> None:
    created = await create(client, alice)
    response = await client.get(f"/api/projects/{created['id']}", headers=alice.headers)
    assert response.status_code == 200 and response.json() == created


async def test_projects_need_a_token(client: httpx.AsyncClient, alice: Account) -> None:
    created = await create(client, alice)
    assert_error(await client.get("/api/projects"), 401, "unauthorized")
    assert_error(await client.get(f"/api/projects/{created['id']}"), 401, "unauthorized")
    assert_error(await client.post("/api/projects", json=PROJECT), 401, "unauthorized")
    assert len(await all_rows()) == 1


async def test_patch_changes_only_the_fields_sent(client: httpx.AsyncClient, alice: Account) -> None:
    created = await create(client, alice)
    response = await client.patch(
        f"/api/projects/{created['id']}",
        json={"title": "Smarter irrigation", "status": "in_progress"},
        headers=alice.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    unchanged = ("description", "category", "tech_stack", "deadline", "user_id", "created_at")
    assert {k: body[k] for k in unchanged} == {k: created[k] for k in unchanged}
    assert body["title"] == "Smarter irrigation" and body["status"] == "in_progress"
    assert body["updated_at"] > created["updated_at"]

    stored = await row(created["id"])
    assert stored is not None
    assert stored.title == "Smarter irrigation" and stored.status == "in_progress"
    assert stored.description == PROJECT["description"] and stored.tech_stack == ["python", "mqtt"]
    assert stored.deadline == date(2027, 3, 31)
    again = await client.get(f"/api/projects/{created['id']}", headers=alice.headers)
    assert again.json() == body


async def test_patch_can_clear_the_deadline_and_replace_the_tech_stack(
    client: httpx.AsyncClient, alice: Account
) -> None:
    created = await create(client, alice)
    response = await client.patch(
        f"/api/projects/{created['id']}",
        json={"deadline": None, "tech_stack": ["rust"]},
        headers=alice.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["deadline"] is None and response.json()["tech_stack"] == ["rust"]
    stored = await row(created["id"])
    assert stored is not None and stored.deadline is None and stored.tech_stack == ["rust"]
    assert stored.title == PROJECT["title"]


async def test_empty_patch_changes_nothing(client: httpx.AsyncClient, alice: Account) -> None:
    created = await create(client, alice)
    response = await client.patch(f"/api/projects/{created['id']}", json={}, headers=alice.headers)
    assert response.status_code == 200 and response.json() == created


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"title": None}, "title"),
        ({"category": None}, "category"),
        ({"status": None}, "status"),
        ({"tech_stack": None}, "tech_stack"),
        ({"description": None}, "description"),
        ({"title": ""}, "title"),
        ({"status": "archived"}, "status"),
        ({"category": "Not A Slug!"}, "category"),
        ({"deadline": "soon"}, "deadline"),
        ({"user_id": 2}, "user_id"),
        ({"deleted_at": None}, "deleted_at"),
    ],
    ids=lambda value: json.dumps(value) if isinstance(value, dict) else value,
)
async def test_invalid_patch_is_422_and_changes_nothing(
    client: httpx.AsyncClient, alice: Account, patch: dict[str, Any], field: str
) -> None:
    created = await create(client, alice)
    response = await client.patch(f"/api/projects/{created['id']}", json=patch, headers=alice.headers)
    assert ("body", field) in error_locs(response)
    assert (await client.get(f"/api/projects/{created['id']}", headers=alice.headers)).json() == created


async def test_delete_is_soft_and_hides_the_project_everywhere(
    client: httpx.AsyncClient, alice: Account
) -> None:
    created = await create(client, alice)
    kept = await create(client, alice, title="Kept")
    url = f"/api/projects/{created['id']}"

    response = await client.delete(url, headers=alice.headers)
    assert response.status_code == 204 and response.content == b""

    stored = await row(created["id"])
    assert stored is not None and stored.deleted_at is not None
    assert stored.title == PROJECT["title"]

    message = f"Project {created['id']} not found"
    assert assert_error(await client.get(url, headers=alice.headers), 404, "not_found")["message"] == message
    patched = await client.patch(url, json={"title": "Back"}, headers=alice.headers)
    assert assert_error(patched, 404, "not_found")["message"] == message
    assert_error(await client.delete(url, headers=alice.headers), 404, "not_found")
    assert await listed(client, alice) == [kept["id"]]
    assert await listed(client, alice, q="irrigation") == []

    again = await row(created["id"])
    assert again is not None and again.title == PROJECT["title"] and again.deleted_at == stored.deleted_at


# --- activity -------------------------------------------------------------------------------------


async def test_every_write_leaves_an_activity_row(client: httpx.AsyncClient, alice: Account) -> None:
    created = await create(client, alice)
    url = f"/api/projects/{created['id']}"
    patched = await client.patch(url, json={"title": "Renamed", "deadline": None}, headers=alice.headers)
    deleted = await client.delete(url, headers=alice.headers)
    assert (patched.status_code, deleted.status_code) == (200, 204)

    for action, method, path, response in (
        ("create_project", "POST", "/api/projects", None),
        ("update_project", "PATCH", url, patched),
        ("delete_project", "DELETE", url, deleted),
    ):
        [log] = await activity_rows(action=action)
        assert log.status == "success", action
        assert (log.user_id, log.entity_type, log.entity_id) == (alice.id, "project", str(created["id"]))
        assert (log.method, log.path, log.ip_address) == (method, path, "203.0.113.7")
        assert log.request_id and log.error_message is None
        if response is not None:
            assert log.request_id == response.headers["x-request-id"]
    [update_log] = await activity_rows(action="update_project")
    assert update_log.details == {"fields": ["deadline", "title"]}


async def test_failed_writes_are_recorded_as_failed(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    created = await create(client, alice)
    url = f"/api/projects/{created['id']}"
    assert (await client.patch(url, json={"title": "Mine now"}, headers=bob.headers)).status_code == 404
    assert (await client.delete(url, headers=bob.headers)).status_code == 404
    assert (await client.post("/api/projects", json={"title": ""}, headers=alice.headers)).status_code == 422

    [patch_log] = await activity_rows(action="update_project")
    [delete_log] = await activity_rows(action="delete_project")
    create_logs = await activity_rows(action="create_project")
    assert [log.status for log in create_logs] == ["success", "failed"]
    for log in (patch_log, delete_log):
        assert log.status == "failed" and log.user_id == bob.id
        assert log.entity_type == "project" and log.entity_id == str(created["id"])
        assert log.error_message == f"Project {created['id']} not found"
    assert create_logs[1].user_id == alice.id and create_logs[1].entity_id is None
