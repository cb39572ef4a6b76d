"""Services: users subscribe (once while active, to their own project) and list their own subscriptions."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select, update

from lib.core.db import session
from lib.models.activity_logs import ActivityLog
from lib.models.user_services import UserService
from tests.functions.services_support import (
    SUBSCRIPTION_FIELDS,
    create_service,
    subscribe,
    subscription_rows,
)
from tests.support import assert_error, make_project

# --- subscribe ----------------------------------------------------------------------------


async def test_user_subscribes_to_a_service(client: httpx.AsyncClient, admin, alice) -> None:
    service = await create_service(client, admin)
    project_id = await make_project(client, alice)
    response = await subscribe(client, alice, service["id"], project_id=project_id)
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == SUBSCRIPTION_FIELDS
    assert (body["user_id"], body["service_id"], body["project_id"], body["status"]) == (
        alice.id,
        service["id"],
        project_id,
        "active",
    )
    [row] = await subscription_rows()
    assert (row.id, row.user_id, row.service_id, row.project_id, row.status) == (
        body["id"],
        alice.id,
        service["id"],
        project_id,
        "active",
    )
    async with session() as db:
        log = await db.scalar(select(ActivityLog).where(ActivityLog.action == "subscribe_to_service"))
    assert log is not None
    assert (log.status, log.user_id, log.entity_type, log.entity_id) == (
        "success",
        alice.id,
        "service",
        str(service["id"]),
    )
    assert log.details == {"user_service_id": body["id"], "project_id": project_id}


async def test_subscribe_without_a_project(client: httpx.AsyncClient, admin, alice) -> None:
    service = await create_service(client, admin)
    response = await subscribe(client, alice, service["id"])
    assert response.status_code == 201, response.text
    assert response.json()["project_id"] is None
    [row] = await subscription_rows()
    assert row.project_id is None


async def test_second_active_subscription_is_409(client: httpx.AsyncClient, admin, alice, bob) -> None:
    service = await create_service(client, admin)
    assert (await subscribe(client, alice, service["id"])).status_code == 201
    assert_error(await subscribe(client, alice, service["id"]), 409, "conflict")
    # Another user is not affected, and once the first ends a new one is allowed.
    assert (await subscribe(client, bob, service["id"])).status_code == 201
    async with session() as db:
        await db.execute(
            update(UserService).where(UserService.user_id == alice.id).values(status="completed")
        )
    assert (await subscribe(client, alice, service["id"])).status_code == 201
    rows = await subscription_rows()
    assert [(row.user_id, row.status) for row in rows] == [
        (alice.id, "completed"),
        (bob.id, "active"),
        (alice.id, "active"),
    ]


async def test_concurrent_subscribes_make_exactly_one(client: httpx.AsyncClient, admin, alice) -> None:
    service = await create_service(client, admin)
    responses = await asyncio.gather(*(subscribe(client, alice, service["id"]) for _ in range(10)))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * 9, [response.text for response in responses]
    rows = await subscription_rows()
    assert [(row.user_id, row.service_id, row.status) for row in rows] == [
        (alice.id, service["id"], "active")
    ]


async def test_unknown_or_inactive_service_is_404(client: httpx.AsyncClient, admin, alice) -> None:
    hidden = await create_service(client, admin, is_active=False)
    error = assert_error(await subscribe(client, alice, hidden["id"]), 404, "not_found")
    assert error["message"] == f"Service {hidden['id']} not found"
    assert_error(await subscribe(client, alice, 999), 404, "not_found")
    assert await subscription_rows() == []


async def test_someone_elses_or_deleted_project_is_404(client: httpx.AsyncClient, admin, alice, bob) -> None:
    service = await create_service(client, admin)
    bobs = await make_project(client, bob)
    error = assert_error(await subscribe(client, alice, service["id"], project_id=bobs), 404, "not_found")
    assert error["message"] == f"Project {bobs} not found"
    # Not even an admin may attach a subscription to another user's project.
    assert_error(await subscribe(client, admin, service["id"], project_id=bobs), 404, "not_found")
    gone = await make_project(client, alice, "Old idea")
    assert (await client.delete(f"/api/projects/{gone}", headers=alice.headers)).status_code == 204
    assert_error(await subscribe(client, alice, service["id"], project_id=gone), 404, "not_found")
    assert_error(await subscribe(client, alice, service["id"], project_id=987654), 404, "not_found")
    assert await subscription_rows() == []


async def test_subscribe_needs_a_user(client: httpx.AsyncClient, admin) -> None:
    service = await create_service(client, admin)
    response = await client.post(f"/api/services/{service['id']}/subscribe", json={})
    assert_error(response, 401, "unauthorized")
    assert await subscription_rows() == []


@pytest.mark.parametrize(
    "body",
    [
        {"project_id": 0},
        {"project_id": "one"},
        {"project_id": 2**63},
        {"project_id": 1, "status": "completed"},
    ],
)
async def test_subscribe_validation(client: httpx.AsyncClient, admin, alice, body: dict) -> None:
    service = await create_service(client, admin)
    response = await subscribe(client, alice, service["id"], **body)
    error = assert_error(response, 422, "validation_error")
    assert {item["loc"][0] for item in error["details"]} == {"body"}
    assert {item["loc"][1] for item in error["details"]} <= {"project_id", "status"}
    assert await subscription_rows() == []


# --- my subscriptions ---------------------------------------------------------------------


async def test_mine_lists_only_my_subscriptions(client: httpx.AsyncClient, admin, alice, bob) -> None:
    review = await create_service(client, admin, name="Code review")
    viva = await create_service(client, admin, name="Viva prep")
    first = (await subscribe(client, alice, review["id"])).json()
    second = (await subscribe(client, alice, viva["id"])).json()
    await subscribe(client, bob, review["id"])

    response = await client.get("/api/services/mine", headers=alice.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"items": [second, first], "next_cursor": None}
    bobs = (await client.get("/api/services/mine", headers=bob.headers)).json()["items"]
    assert [item["user_id"] for item in bobs] == [bob.id]


async def test_mine_filters_by_status_and_pages(client: httpx.AsyncClient, admin, alice) -> None:
    services = [await create_service(client, admin, name=f"Service {n}") for n in range(3)]
    subscriptions = [(await subscribe(client, alice, s["id"])).json() for s in services]
    async with session() as db:
        await db.execute(
            update(UserService).where(UserService.id == subscriptions[1]["id"]).values(status="cancelled")
        )

    active = (
        await client.get("/api/services/mine", params={"status": "active"}, headers=alice.headers)
    ).json()
    assert [item["id"] for item in active["items"]] == [subscriptions[2]["id"], subscriptions[0]["id"]]
    cancelled = await client.get("/api/services/mine", params={"status": "cancelled"}, headers=alice.headers)
    assert [(item["id"], item["status"]) for item in cancelled.json()["items"]] == [
        (subscriptions[1]["id"], "cancelled")
    ]

    page = (await client.get("/api/services/mine", params={"limit": 2}, headers=alice.headers)).json()
    assert [item["id"] for item in page["items"]] == [subscriptions[2]["id"], subscriptions[1]["id"]]
    rest = await client.get(
        "/api/services/mine", params={"limit": 2, "cursor": page["next_cursor"]}, headers=alice.headers
    )
    assert rest.json() == {"items": [{**subscriptions[0]}], "next_cursor": None}


async def test_mine_validation_and_auth(client: httpx.AsyncClient, alice) -> None:
    response = await client.get("/api/services/mine", params={"status": "paused"}, headers=alice.headers)
    error = assert_error(response, 422, "validation_error")
    assert [item["loc"] for item in error["details"]] == [["query", "status"]]
    assert_error(await client.get("/api/services/mine"), 401, "unauthorized")
