"""Activity tracking: every write, login and error leaves a row; failures leave no partial rows."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import func, select
from structlog.testing import capture_logs

from lib.core.db import session
from lib.models.projects import Project
from lib.web.app import create_app
from lib.web.endpoints import Call, post
from tests.support import activity_rows


async def test_write_records_request_metadata(client: httpx.AsyncClient, alice, trust_proxies) -> None:
    trust_proxies(2)  # a CDN and a load balancer, each appending the address it saw
    response = await client.post(
        "/api/projects",
        json={"title": "Soil monitor", "category": "iot"},
        headers={
            **alice.headers,
            "user-agent": "pytest-agent/1.0",
            "x-forwarded-for": "198.51.100.9, 10.0.0.1",
        },
    )
    assert response.status_code == 201
    [row] = await activity_rows(action="create_project")
    assert (row.user_id, row.entity_type, row.entity_id, row.status) == (
        alice.id,
        "project",
        str(response.json()["id"]),
        "success",
    )
    assert (row.ip_address, row.user_agent, row.method, row.path) == (
        "198.51.100.9",
        "pytest-agent/1.0",
        "POST",
        "/api/projects",
    )
    assert row.request_id == response.headers["x-request-id"]
    assert row.duration_ms is not None and row.duration_ms >= 0
    assert row.error_message is None


async def test_update_delete_and_login_are_recorded(client: httpx.AsyncClient, alice) -> None:
    project = (
        await client.post("/api/projects", json={"title": "A", "category": "web"}, headers=alice.headers)
    ).json()
    await client.patch(f"/api/projects/{project['id']}", json={"title": "B"}, headers=alice.headers)
    await client.delete(f"/api/projects/{project['id']}", headers=alice.headers)
    await client.post("/api/auth/login", json={"email": alice.email, "password": alice.password})
    await client.post("/api/auth/login", json={"email": alice.email, "password": "not-the-password"})
    rows = await activity_rows(user_id=alice.id)
    summary = [(r.action, r.status) for r in rows]
    assert summary == [
        ("create_project", "success"),
        ("update_project", "success"),
        ("delete_project", "success"),
        ("login", "success"),
        ("login", "failed"),
    ]
    assert rows[-1].error_message == "Invalid email or password"
    serialized = json.dumps([r.details for r in rows])
    assert alice.password not in serialized and "not-the-password" not in serialized


async def test_error_responses_are_recorded_even_without_a_route(client: httpx.AsyncClient, bob) -> None:
    await client.get("/api/projects/424242", headers=bob.headers)
    await client.get("/api/nowhere")
    await client.put("/api/health")
    rows = await activity_rows(status="failed")
    assert [(r.action, r.path, r.user_id) for r in rows] == [
        ("get_project", "/api/projects/424242", bob.id),
        ("route_not_found", "/api/nowhere", None),
        ("method_not_allowed", "/api/health", None),
    ]


async def explode_after_insert(call: Call[None, None]) -> None:
    call.db.add(Project(user_id=call.me.id, title="half-written", category="web"))
    await call.db.flush()
    raise RuntimeError("boom after a partial write")


async def create_with_secret_details(call: Call[None, None]) -> dict[str, int]:
    project = Project(user_id=call.me.id, title="kept", category="web")
    call.db.add(project)
    await call.db.flush()
    call.report(entity_id=project.id)
    call.report(
        password="hunter2-secret",
        nested={"api_key": "sk-live-123", "ok": "visible"},
        note="Authorization: Bearer abc.def.ghi",
    )
    return {"id": project.id}


async def create_with_unloggable_details(call: Call[None, None]) -> dict[str, int]:
    project = Project(user_id=call.me.id, title="still saved", category="web")
    call.db.add(project)
    await call.db.flush()
    call.report(not_json=object())  # the activity insert fails; the write must not
    return {"id": project.id}


@pytest.fixture
async def test_app_client(database_url: str, client):  # type: ignore[no-untyped-def]
    app = create_app(
        [
            post("/api/test/explode", explode_after_insert, entity="project"),
            post("/api/test/secret", create_with_secret_details, entity="project"),
            post("/api/test/unloggable", create_with_unloggable_details, entity="project"),
        ]
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        yield http


async def test_failing_write_leaves_no_partial_rows_but_its_activity_row(test_app_client, alice) -> None:
    response = await test_app_client.post("/api/test/explode", headers=alice.headers)
    assert response.status_code == 500
    async with session() as db:
        assert await db.scalar(select(func.count()).select_from(Project)) == 0
    [row] = await activity_rows(action="explode_after_insert")
    assert (row.status, row.user_id, row.error_message) == ("error", alice.id, "Internal server error")
    assert "boom" not in response.text


async def test_secrets_in_details_are_redacted(test_app_client, alice) -> None:
    assert (await test_app_client.post("/api/test/secret", headers=alice.headers)).status_code == 201
    [row] = await activity_rows(action="create_with_secret_details")
    text = json.dumps(row.details)
    assert "hunter2" not in text and "sk-live" not in text and "abc.def.ghi" not in text
    assert row.details["nested"]["ok"] == "visible"


async def test_activity_failure_does_not_fail_the_request(test_app_client, alice) -> None:
    with capture_logs() as logs:
        response = await test_app_client.post("/api/test/unloggable", headers=alice.headers)
    assert response.status_code == 201
    async with session() as db:
        assert (
            await db.scalar(select(Project.title).where(Project.id == response.json()["id"])) == "still saved"
        )
    assert await activity_rows(action="create_with_unloggable_details") == []
    assert any(entry["event"] == "activity_log_failed" for entry in logs)


async def test_users_see_their_own_activity_and_admins_filter_everyone(
    client: httpx.AsyncClient, alice, bob, admin
) -> None:
    await client.post("/api/projects", json={"title": "A", "category": "web"}, headers=alice.headers)
    await client.post("/api/projects", json={"title": "B", "category": "web"}, headers=bob.headers)
    await client.post("/api/auth/login", json={"email": alice.email, "password": alice.password})

    own = (await client.get("/api/activity", headers=alice.headers)).json()["items"]
    assert {item["user_id"] for item in own} == {alice.id}
    assert [item["action"] for item in own] == ["login", "create_project"]  # newest first

    hidden = (await client.get(f"/api/activity?user_id={bob.id}", headers=alice.headers)).json()["items"]
    assert hidden == []

    filtered = await client.get(
        f"/api/activity?user_id={bob.id}&action=create_project&status=success&entity_type=project",
        headers=admin.headers,
    )
    assert [(i["user_id"], i["action"]) for i in filtered.json()["items"]] == [(bob.id, "create_project")]

    await client.post("/api/projects", json={"title": "C", "category": "web"}, headers=bob.headers)
    first = (await client.get("/api/activity?action=create_project&limit=2", headers=admin.headers)).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = await client.get(
        f"/api/activity?action=create_project&limit=2&cursor={first['next_cursor']}", headers=admin.headers
    )
    ids = [i["id"] for i in first["items"] + rest.json()["items"]]
    assert len(ids) == len(set(ids)) == 3 and rest.json()["next_cursor"] is None


async def test_activity_time_window_and_validation(client: httpx.AsyncClient, admin) -> None:
    response = await client.get("/api/activity?since=2030-01-01T00:00:00Z", headers=admin.headers)
    assert response.status_code == 200 and response.json()["items"] == []
    bad = await client.get(
        "/api/activity?since=2030-01-02T00:00:00Z&until=2030-01-01T00:00:00Z", headers=admin.headers
    )
    assert bad.status_code == 422
    naive = await client.get("/api/activity?since=2030-01-01T00:00:00", headers=admin.headers)
    assert naive.status_code == 422 and naive.json()["error"]["details"][0]["loc"] == ["query", "since"]
    assert (await client.get("/api/activity")).status_code == 401


async def test_finding_5_anonymous_failures_write_a_bounded_number_of_rows(
    client: httpx.AsyncClient, alice
) -> None:
    from lib.web.failures import ANONYMOUS_ROWS_PER_IP

    for n in range(ANONYMOUS_ROWS_PER_IP + 20):
        assert (await client.get(f"/api/nowhere-{n}")).status_code == 404
    anonymous = await activity_rows(action="route_not_found")
    assert len(anonymous) == ANONYMOUS_ROWS_PER_IP
    assert {row.user_id for row in anonymous} == {None}
    # A signed-in caller's failures are not anonymous traffic: every one keeps its row.
    for n in range(5):
        assert (await client.get(f"/api/projects/{900 + n}", headers=alice.headers)).status_code == 404
    assert len(await activity_rows(action="get_project")) == 5


async def test_admin_list_by_action_alone_pages_newest_first_with_ties_broken_by_id(
    client: httpx.AsyncClient, alice, bob, admin
) -> None:
    """The action-only admin list reads ids first (api/activity.py): the same rows, order and pages."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import insert

    from lib.models.activity_logs import ActivityLog

    moment = datetime(2026, 6, 1, tzinfo=UTC)
    rows = [
        {"user_id": alice.id, "action": "export", "status": "success", "created_at": moment},
        {"user_id": bob.id, "action": "export", "status": "failed", "created_at": moment},  # a tie
        {"user_id": bob.id, "action": "login", "status": "success", "created_at": moment},
        {
            "user_id": alice.id,
            "action": "export",
            "status": "success",
            "created_at": moment - timedelta(days=1),
        },
        {"user_id": None, "action": "export", "status": "error", "created_at": moment + timedelta(days=1)},
    ]
    async with session() as db:
        ids = list(await db.scalars(insert(ActivityLog).returning(ActivityLog.id), rows))
    expected = [ids[4], ids[1], ids[0], ids[3]]  # newest first; the tie by id, descending
    seen, cursor = [], None
    while True:
        query = "action=export&limit=3" + (f"&cursor={cursor}" if cursor else "")
        response = await client.get(f"/api/activity?{query}", headers=admin.headers)
        assert response.status_code == 200, response.text
        seen.append([item["id"] for item in response.json()["items"]])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == [expected[:3], expected[3:]]
    since = (moment - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    window = await client.get(f"/api/activity?action=export&since={since}", headers=admin.headers)
    assert [item["id"] for item in window.json()["items"]] == expected[:3]
    own = await client.get("/api/activity?action=export", headers=alice.headers)
    assert [item["id"] for item in own.json()["items"]] == [ids[0], ids[3]]
