"""Services: anyone reads active services, admins manage them, users subscribe and list their own."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from lib.core.db import session
from lib.models.activity_logs import ActivityLog
from lib.models.services import Service
from lib.models.user_services import UserService

SERVICE_FIELDS = {
    "id",
    "name",
    "description",
    "price_cents",
    "currency",
    "is_active",
    "created_at",
    "updated_at",
}
SUBSCRIPTION_FIELDS = {"id", "user_id", "service_id", "project_id", "status", "created_at", "updated_at"}


async def create_service(client: httpx.AsyncClient, admin: Any, **fields: Any) -> dict[str, Any]:
    body = {"name": "Code review", "price_cents": 99_900, **fields}
    response = await client.post("/api/services", json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def create_project(
    client: httpx.AsyncClient, account: Any, title: str = "Smart farm"
) -> dict[str, Any]:
    response = await client.post(
        "/api/projects", json={"title": title, "category": "iot"}, headers=account.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def subscribe(client: httpx.AsyncClient, account: Any, service_id: int, **body: Any) -> httpx.Response:
    return await client.post(f"/api/services/{service_id}/subscribe", json=body, headers=account.headers)


async def service_rows() -> list[Service]:
    async with session() as db:
        return list((await db.scalars(select(Service).order_by(Service.id))).all())


async def subscription_rows() -> list[UserService]:
    async with session() as db:
        return list((await db.scalars(select(UserService).order_by(UserService.id))).all())


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    return error


# --- services: create, read, update -------------------------------------------------------


async def test_admin_creates_a_service(client: httpx.AsyncClient, admin) -> None:
    response = await client.post(
        "/api/services",
        json={
            "name": " Code review ",
            "description": "A mentor reads your code",
            "price_cents": 99_900,
            "currency": "eur",
        },
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == SERVICE_FIELDS
    assert (body["name"], body["currency"], body["is_active"]) == ("Code review", "EUR", True)
    [row] = await service_rows()
    assert (row.id, row.name, row.description, row.price_cents, row.currency) == (
        body["id"],
        "Code review",
        "A mentor reads your code",
        99_900,
        "EUR",
    )


async def test_create_defaults(client: httpx.AsyncClient, admin) -> None:
    body = await create_service(client, admin, price_cents=0)
    assert (body["currency"], body["description"], body["is_active"]) == ("INR", "", True)


async def test_duplicate_service_name_is_409(client: httpx.AsyncClient, admin) -> None:
    first = await create_service(client, admin)
    response = await client.post(
        "/api/services", json={"name": "Code review", "price_cents": 1}, headers=admin.headers
    )
    assert_error(response, 409, "conflict")
    assert [row.id for row in await service_rows()] == [first["id"]]


async def test_create_service_needs_an_admin(client: httpx.AsyncClient, alice) -> None:
    body = {"name": "Code review", "price_cents": 100}
    assert_error(await client.post("/api/services", json=body, headers=alice.headers), 403, "forbidden")
    assert_error(await client.post("/api/services", json=body), 401, "unauthorized")
    assert await service_rows() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"price_cents": 100}, "name"),
        ({"name": "", "price_cents": 100}, "name"),
        ({"name": "x" * 101, "price_cents": 100}, "name"),
        ({"name": "Review"}, "price_cents"),
        ({"name": "Review", "price_cents": -1}, "price_cents"),
        ({"name": "Review", "price_cents": 100_000_001}, "price_cents"),
        ({"name": "Review", "price_cents": "12"}, "price_cents"),
        ({"name": "Review", "price_cents": 1, "description": "x" * 2001}, "description"),
        ({"name": "Review", "price_cents": 1, "currency": "IN"}, "currency"),
        ({"name": "Review", "price_cents": 1, "is_active": 1}, "is_active"),
        ({"name": "Review", "price_cents": 1, "features": ["x"]}, "features"),
    ],
)
async def test_create_service_validation(client: httpx.AsyncClient, admin, body: dict, field: str) -> None:
    response = await client.post("/api/services", json=body, headers=admin.headers)
    error = assert_error(response, 422, "validation_error")
    assert [item["loc"][:2] for item in error["details"]] == [["body", field]]
    assert await service_rows() == []


async def test_anyone_lists_active_services(client: httpx.AsyncClient, admin, alice) -> None:
    review = await create_service(client, admin, name="Code review")
    hidden = await create_service(client, admin, name="Retired", is_active=False)
    viva = await create_service(client, admin, name="Viva prep")
    for headers in ({}, alice.headers, admin.headers):
        response = await client.get("/api/services", headers=headers)
        assert response.status_code == 200, response.text
        assert response.json() == {"items": [viva, review], "next_cursor": None}
    response = await client.get("/api/services", params={"include_inactive": "1"}, headers=admin.headers)
    assert [item["id"] for item in response.json()["items"]] == [viva["id"], hidden["id"], review["id"]]
    response = await client.get("/api/services", params={"include_inactive": "true"}, headers=alice.headers)
    assert [item["id"] for item in response.json()["items"]] == [viva["id"], review["id"]]


async def test_services_page_with_a_cursor(client: httpx.AsyncClient, admin) -> None:
    ids = [(await create_service(client, admin, name=f"Service {n}"))["id"] for n in range(3)]
    first = (await client.get("/api/services", params={"limit": 2})).json()
    assert [item["id"] for item in first["items"]] == ids[:0:-1]
    second = (await client.get("/api/services", params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert second == {"items": [second["items"][0]], "next_cursor": None}
    assert second["items"][0]["id"] == ids[0]


async def test_get_a_service(client: httpx.AsyncClient, admin, alice) -> None:
    service = await create_service(client, admin)
    hidden = await create_service(client, admin, name="Retired", is_active=False)
    assert (await client.get(f"/api/services/{service['id']}")).json() == service
    for headers in ({}, alice.headers):
        response = await client.get(f"/api/services/{hidden['id']}", headers=headers)
        assert assert_error(response, 404, "not_found")["message"] == f"Service {hidden['id']} not found"
    assert (await client.get(f"/api/services/{hidden['id']}", headers=admin.headers)).json() == hidden
    assert_error(await client.get("/api/services/424242"), 404, "not_found")


async def test_admin_updates_a_service(client: httpx.AsyncClient, admin) -> None:
    service = await create_service(client, admin)
    response = await client.patch(
        f"/api/services/{service['id']}",
        json={"description": "Now with tests", "currency": "usd", "is_active": False},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["description"], body["currency"], body["is_active"]) == ("Now with tests", "USD", False)
    [row] = await service_rows()
    assert (row.description, row.currency, row.is_active, row.name) == (
        "Now with tests",
        "USD",
        False,
        "Code review",
    )


async def test_service_rename_onto_a_taken_name_is_409(client: httpx.AsyncClient, admin) -> None:
    await create_service(client, admin, name="Code review")
    viva = await create_service(client, admin, name="Viva prep")
    response = await client.patch(
        f"/api/services/{viva['id']}", json={"name": "Code review"}, headers=admin.headers
    )
    assert_error(response, 409, "conflict")
    assert [row.name for row in await service_rows()] == ["Code review", "Viva prep"]


async def test_patch_service_needs_an_admin(client: httpx.AsyncClient, admin, alice) -> None:
    service = await create_service(client, admin)
    url = f"/api/services/{service['id']}"
    assert_error(await client.patch(url, json={"is_active": False}, headers=alice.headers), 403, "forbidden")
    assert_error(await client.patch(url, json={"is_active": False}), 401, "unauthorized")
    assert_error(
        await client.patch("/api/services/999", json={"name": "X"}, headers=admin.headers), 404, "not_found"
    )
    [row] = await service_rows()
    assert row.is_active is True


@pytest.mark.parametrize(
    ("body", "field"),
    [({"name": None}, "name"), ({"price_cents": 1.25}, "price_cents"), ({"currency": ""}, "currency")],
)
async def test_patch_service_validation(client: httpx.AsyncClient, admin, body: dict, field: str) -> None:
    service = await create_service(client, admin)
    response = await client.patch(f"/api/services/{service['id']}", json=body, headers=admin.headers)
    error = assert_error(response, 422, "validation_error")
    assert [item["loc"][:2] for item in error["details"]] == [["body", field]]


# --- subscribe ----------------------------------------------------------------------------


async def test_user_subscribes_to_a_service(client: httpx.AsyncClient, admin, alice) -> None:
    service = await create_service(client, admin)
    project = await create_project(client, alice)
    response = await subscribe(client, alice, service["id"], project_id=project["id"])
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == SUBSCRIPTION_FIELDS
    assert (body["user_id"], body["service_id"], body["project_id"], body["status"]) == (
        alice.id,
        service["id"],
        project["id"],
        "active",
    )
    [row] = await subscription_rows()
    assert (row.id, row.user_id, row.service_id, row.project_id, row.status) == (
        body["id"],
        alice.id,
        service["id"],
        project["id"],
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
    assert log.details == {"user_service_id": body["id"], "project_id": project["id"]}


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
    bobs = await create_project(client, bob)
    error = assert_error(
        await subscribe(client, alice, service["id"], project_id=bobs["id"]), 404, "not_found"
    )
    assert error["message"] == f"Project {bobs['id']} not found"
    # Not even an admin may attach a subscription to another user's project.
    assert_error(await subscribe(client, admin, service["id"], project_id=bobs["id"]), 404, "not_found")
    gone = await create_project(client, alice, "Old idea")
    assert (await client.delete(f"/api/projects/{gone['id']}", headers=alice.headers)).status_code == 204
    assert_error(await subscribe(client, alice, service["id"], project_id=gone["id"]), 404, "not_found")
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
