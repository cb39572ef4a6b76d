"""Projects: CRUD with soft delete, ownership, keyset pagination, filters and full-text search."""

from __future__ import annotations

import base64
import json
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from lib.core.db import session
from lib.models.activity_logs import ActivityLog
from lib.models.projects import Project
from tests.support import Account

PROJECT = {
    "title": "Smart irrigation",
    "description": "Soil moisture sensor network for small farms",
    "category": "iot",
    "tech_stack": ["python", "mqtt"],
    "deadline": "2027-03-31",
}
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


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details", "request_id"}
    assert body["error"]["code"] == code
    assert body["error"]["request_id"] == response.headers["x-request-id"]
    return body["error"]


def error_locs(response: httpx.Response) -> list[list[Any]]:
    return [item["loc"] for item in assert_error(response, 422, "validation_error")["details"]]


async def create(client: httpx.AsyncClient, owner: Account, **fields: Any) -> dict[str, Any]:
    response = await client.post("/api/projects", json={**PROJECT, **fields}, headers=owner.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def row(project_id: int) -> Project | None:
    async with session() as db:
        return await db.get(Project, project_id)


async def all_rows() -> list[Project]:
    async with session() as db:
        return list(await db.scalars(select(Project).order_by(Project.id)))


async def listed(client: httpx.AsyncClient, who: Account, **params: Any) -> list[int]:
    response = await client.get("/api/projects", params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"items", "next_cursor"}
    return [item["id"] for item in body["items"]]


async def activity(action: str) -> list[ActivityLog]:
    async with session() as db:
        return list(
            await db.scalars(select(ActivityLog).where(ActivityLog.action == action).order_by(ActivityLog.id))
        )


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
    assert ["body", field] in error_locs(response)
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


# --- ownership ------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_another_users_project_looks_like_a_missing_one(
    client: httpx.AsyncClient, alice: Account, bob: Account, method: str
) -> None:
    created = await create(client, alice)
    before = await row(created["id"])
    missing_id = created["id"] + 1000
    body = {"json": {"title": "Hijacked"}} if method == "PATCH" else {}

    theirs = await client.request(method, f"/api/projects/{created['id']}", headers=bob.headers, **body)
    missing = await client.request(method, f"/api/projects/{missing_id}", headers=bob.headers, **body)
    theirs_error = assert_error(theirs, 404, "not_found")
    missing_error = assert_error(missing, 404, "not_found")
    assert theirs_error["message"] == f"Project {created['id']} not found"
    assert missing_error["message"] == theirs_error["message"].replace(str(created["id"]), str(missing_id))
    assert "Alice" not in theirs.text and "irrigation" not in theirs.text

    after = await row(created["id"])
    assert after is not None and before is not None
    assert (after.title, after.deleted_at, after.updated_at) == (before.title, None, before.updated_at)


async def test_lists_show_only_the_callers_projects(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    mine = await create(client, alice)
    theirs = await create(client, bob)
    assert await listed(client, alice) == [mine["id"]]
    assert await listed(client, bob) == [theirs["id"]]
    # A non-admin's user_id filter cannot widen the view to someone else's rows.
    assert await listed(client, alice, user_id=bob.id) == []


async def test_admin_can_read_and_update_any_project(
    client: httpx.AsyncClient, alice: Account, admin: Account
) -> None:
    created = await create(client, alice)
    url = f"/api/projects/{created['id']}"
    got = await client.get(url, headers=admin.headers)
    assert got.status_code == 200 and got.json() == created

    patched = await client.patch(url, json={"status": "submitted"}, headers=admin.headers)
    assert patched.status_code == 200, patched.text
    assert patched.json()["status"] == "submitted" and patched.json()["user_id"] == alice.id
    stored = await row(created["id"])
    assert stored is not None and stored.status == "submitted" and stored.user_id == alice.id
    [log] = await activity("update_project")
    assert log.user_id == admin.id and log.entity_id == str(created["id"])


async def test_admin_can_soft_delete_any_project(
    client: httpx.AsyncClient, alice: Account, admin: Account
) -> None:
    created = await create(client, alice)
    assert (await client.delete(f"/api/projects/{created['id']}", headers=admin.headers)).status_code == 204
    stored = await row(created["id"])
    assert stored is not None and stored.deleted_at is not None
    assert_error(await client.get(f"/api/projects/{created['id']}", headers=alice.headers), 404, "not_found")


async def test_admin_sees_every_project_and_may_filter_by_user(
    client: httpx.AsyncClient, alice: Account, bob: Account, admin: Account
) -> None:
    a1 = await create(client, alice)
    b1 = await create(client, bob)
    a2 = await create(client, alice)
    assert await listed(client, admin) == [a2["id"], b1["id"], a1["id"]]
    assert await listed(client, admin, user_id=alice.id) == [a2["id"], a1["id"]]
    assert await listed(client, admin, user_id=bob.id) == [b1["id"]]
    assert await listed(client, admin, user_id=admin.id) == []


# --- pagination -----------------------------------------------------------------------------------


async def page(client: httpx.AsyncClient, who: Account, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/projects", params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_pages_return_every_project_once_newest_first(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    ids = [(await create(client, alice, title=f"Project {n}"))["id"] for n in range(7)]
    await create(client, bob)  # someone else's row must not shift alice's pages

    first = await page(client, alice, limit=3)
    second = await page(client, alice, limit=3, cursor=first["next_cursor"])
    third = await page(client, alice, limit=3, cursor=second["next_cursor"])
    sizes = [len(p["items"]) for p in (first, second, third)]
    assert sizes == [3, 3, 1]
    assert first["next_cursor"] and second["next_cursor"] and third["next_cursor"] is None
    seen = [item["id"] for p in (first, second, third) for item in p["items"]]
    assert seen == ids[::-1]
    created = [item["created_at"] for p in (first, second, third) for item in p["items"]]
    assert created == sorted(created, reverse=True)


async def test_exactly_one_full_page_has_no_next_cursor(client: httpx.AsyncClient, alice: Account) -> None:
    for _ in range(3):
        await create(client, alice)
    assert (await page(client, alice, limit=3))["next_cursor"] is None
    assert (await page(client, alice))["next_cursor"] is None


async def test_new_projects_between_pages_neither_duplicate_nor_skip(
    client: httpx.AsyncClient, alice: Account
) -> None:
    ids = [(await create(client, alice, title=f"Original {n}"))["id"] for n in range(7)]
    first = await page(client, alice, limit=3)
    newer = [(await create(client, alice, title=f"Newer {n}"))["id"] for n in range(2)]
    second = await page(client, alice, limit=3, cursor=first["next_cursor"])
    newer.append((await create(client, alice, title="Newest"))["id"])
    third = await page(client, alice, limit=3, cursor=second["next_cursor"])

    seen = [item["id"] for p in (first, second, third) for item in p["items"]]
    assert seen == ids[::-1]
    assert third["next_cursor"] is None
    # A fresh first page starts with what was added meanwhile.
    assert [item["id"] for item in (await page(client, alice, limit=3))["items"]] == newer[::-1]


def cursor_of(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!!not-base64!!!",
        cursor_of({"created_at": "2026-01-01T00:00:00+00:00", "id": 1}),
        cursor_of(["not a date", 1]),
        cursor_of(["2026-01-01T00:00:00+00:00", "1"]),
        cursor_of(["2026-01-01T00:00:00", 1]),
        cursor_of(["2026-01-01T00:00:00+00:00", 1, 2]),
        cursor_of(["2026-01-01T00:00:00+00:00", 10**20]),
        cursor_of(["2026-01-01T00:00:00+00:00", -(10**20)]),
        cursor_of(["2026-01-01T00:00:00+00:00", 1.5]),
        cursor_of(["2026-01-01T00:00:00+00:00", True]),
        cursor_of(["2026-01-01T00:00:00+00:00", 0]),
        cursor_of(42),
        base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(),
        "x" * 201,
    ],
    ids=lambda value: value[:30],
)
async def test_a_cursor_we_did_not_make_is_422(
    client: httpx.AsyncClient, alice: Account, cursor: str
) -> None:
    await create(client, alice)
    response = await client.get("/api/projects", params={"cursor": cursor}, headers=alice.headers)
    assert error_locs(response) == [["query", "cursor"]]


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "2.5"])
async def test_limit_outside_1_to_100_is_422(client: httpx.AsyncClient, alice: Account, limit: str) -> None:
    response = await client.get("/api/projects", params={"limit": limit}, headers=alice.headers)
    assert error_locs(response) == [["query", "limit"]]


@pytest.mark.parametrize("limit", [1, 100])
async def test_limit_at_the_bounds_is_accepted(client: httpx.AsyncClient, alice: Account, limit: int) -> None:
    await create(client, alice)
    await create(client, alice)
    body = await page(client, alice, limit=limit)
    assert len(body["items"]) == min(limit, 2)
    assert (body["next_cursor"] is None) == (limit == 100)


# --- filters and search ---------------------------------------------------------------------------


@pytest.fixture
async def catalogue(client: httpx.AsyncClient, alice: Account, bob: Account) -> dict[str, int]:
    """Alice's projects (plus one of Bob's that must never show up in her results)."""
    made = {
        "sensor": await create(
            client,
            alice,
            title="Greenhouse sensor dashboard",
            description="Live temperature charts",
            category="iot",
        ),
        "vision": await create(
            client,
            alice,
            title="Plant disease detection",
            description="Image classification of leaves using a small CNN",
            category="ml",
            status="submitted",
        ),
        "shop": await create(
            client,
            alice,
            title="Campus bookshop",
            description="Second-hand textbook marketplace",
            category="web",
        ),
        "bobs": await create(client, bob, title="Bob's sensor hub", category="iot"),
    }
    return {name: project["id"] for name, project in made.items()}


async def test_filter_by_status(client: httpx.AsyncClient, alice: Account, catalogue: dict[str, int]) -> None:
    assert await listed(client, alice, status="submitted") == [catalogue["vision"]]
    assert await listed(client, alice, status="draft") == [catalogue["shop"], catalogue["sensor"]]
    assert await listed(client, alice, status="completed") == []


async def test_filter_by_category(
    client: httpx.AsyncClient, alice: Account, catalogue: dict[str, int]
) -> None:
    assert await listed(client, alice, category="iot") == [catalogue["sensor"]]
    assert await listed(client, alice, category="ml") == [catalogue["vision"]]
    assert await listed(client, alice, category="iot", status="submitted") == []


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("sensors", ["sensor"]),  # stemming: the plural finds the singular
        ("temperature", ["sensor"]),  # a word of the description
        ("detecting plants", ["vision"]),  # every word must match, each stemmed
        ("marketplace OR dashboard", ["shop", "sensor"]),
        ("blockchain", []),
        ("plant -disease", []),
        ("the", []),  # only a stop word: matches nothing, fails nothing
        ('"unbalanced quote', []),
        ("!&|():*<>'", []),
    ],
)
async def test_full_text_search(
    client: httpx.AsyncClient, alice: Account, catalogue: dict[str, int], q: str, expected: list[str]
) -> None:
    assert await listed(client, alice, q=q) == [catalogue[name] for name in expected]


async def test_search_combines_with_filters_and_admin_sees_all_matches(
    client: httpx.AsyncClient, alice: Account, admin: Account, catalogue: dict[str, int]
) -> None:
    assert await listed(client, alice, q="sensor", category="web") == []
    assert await listed(client, admin, q="sensor") == [catalogue["bobs"], catalogue["sensor"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "archived"}, "status"),
        ({"category": "Not A Slug!"}, "category"),
        ({"q": "x" * 201}, "q"),
        ({"q": "sensor\x00"}, "q"),
        ({"user_id": "abc"}, "user_id"),
        ({"user_id": "0"}, "user_id"),
        ({"user_id": str(2**63)}, "user_id"),
    ],
    ids=lambda value: json.dumps(value)[:40] if isinstance(value, dict) else value,
)
async def test_invalid_filters_are_422(
    client: httpx.AsyncClient, alice: Account, params: dict[str, str], field: str
) -> None:
    response = await client.get("/api/projects", params=params, headers=alice.headers)
    assert error_locs(response) == [["query", field]]


# --- validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "t" * 201}, "title"),
        ({"title": None}, "title"),
        ({"description": "d" * 10_001}, "description"),
        ({"category": "Not A Slug!"}, "category"),
        ({"category": "c" * 51}, "category"),
        ({"tech_stack": "python"}, "tech_stack"),
        ({"tech_stack": [1, 2]}, "tech_stack"),
        ({"tech_stack": ["x" * 51]}, "tech_stack"),
        ({"tech_stack": ["py"] * 31}, "tech_stack"),
        ({"deadline": "next week"}, "deadline"),
        ({"deadline": "2027-02-30"}, "deadline"),
        ({"status": "completed"}, "status"),
        ({"status": "archived"}, "status"),
        ({"title": "with \x00 nul"}, "title"),
        ({"user_id": 1}, "user_id"),
        ({"owner": "bob"}, "owner"),
    ],
    ids=lambda value: json.dumps(value)[:40] if isinstance(value, dict) else value,
)
async def test_invalid_create_is_422_naming_the_field(
    client: httpx.AsyncClient, alice: Account, changes: dict[str, Any], field: str
) -> None:
    response = await client.post("/api/projects", json={**PROJECT, **changes}, headers=alice.headers)
    assert field in {loc[1] for loc in error_locs(response)}
    assert all(loc[:2] == ["body", field] for loc in error_locs(response))
    assert await all_rows() == []


@pytest.mark.parametrize("missing", ["title", "category"])
async def test_create_without_a_required_field_is_422(
    client: httpx.AsyncClient, alice: Account, missing: str
) -> None:
    payload = {k: v for k, v in PROJECT.items() if k != missing}
    response = await client.post("/api/projects", json=payload, headers=alice.headers)
    assert error_locs(response) == [["body", missing]]
    assert await all_rows() == []


@pytest.mark.parametrize("path", ["abc", "1.5", "-1", "0", "99999999999999999999999", str(2**63)])
@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_ids_no_row_can_have_are_404(
    client: httpx.AsyncClient, alice: Account, path: str, method: str
) -> None:
    await create(client, alice)
    body = {"json": {"title": "x"}} if method == "PATCH" else {}
    response = await client.request(method, f"/api/projects/{path}", headers=alice.headers, **body)
    assert_error(response, 404, "not_found")


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
        [log] = await activity(action)
        assert log.status == "success", action
        assert (log.user_id, log.entity_type, log.entity_id) == (alice.id, "project", str(created["id"]))
        assert (log.method, log.path, log.ip_address) == (method, path, "203.0.113.7")
        assert log.request_id and log.error_message is None
        if response is not None:
            assert log.request_id == response.headers["x-request-id"]
    [update_log] = await activity("update_project")
    assert update_log.details == {"fields": ["deadline", "title"]}


async def test_failed_writes_are_recorded_as_failed(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    created = await create(client, alice)
    url = f"/api/projects/{created['id']}"
    assert (await client.patch(url, json={"title": "Mine now"}, headers=bob.headers)).status_code == 404
    assert (await client.delete(url, headers=bob.headers)).status_code == 404
    assert (await client.post("/api/projects", json={"title": ""}, headers=alice.headers)).status_code == 422

    [patch_log] = await activity("update_project")
    [delete_log] = await activity("delete_project")
    create_logs = await activity("create_project")
    assert [log.status for log in create_logs] == ["success", "failed"]
    for log in (patch_log, delete_log):
        assert log.status == "failed" and log.user_id == bob.id
        assert log.entity_type == "project" and log.entity_id == str(created["id"])
        assert log.error_message == f"Project {created['id']} not found"
    assert create_logs[1].user_id == alice.id and create_logs[1].entity_id is None
