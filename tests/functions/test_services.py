"""Services: anyone reads active services; only admins create, rename, price and retire them."""

from __future__ import annotations

import httpx
import pytest

from tests.functions.services_support import (
    SERVICE_FIELDS,
    create_service,
    service_rows,
)
from tests.support import assert_error

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
