"""Hostile values, written by hand: text stored verbatim, numbers out of range, odd query strings, cursors.

Each case gets its exact 4xx in the one error shape (or is stored as plain data); nothing is a 500.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text

from lib.core.db import session
from tests.support import assert_error, cursor_of
from tests.system.bad_input_support import (
    assert_validation_error,
    create_project,
)

# --- hostile text is data, stored and returned verbatim ---------------------------------------


SQL = "'; DROP TABLE users; --"
LIKE = "%_\\"
EMOJI = "🚀👩‍💻"


async def test_sql_metacharacters_and_emoji_are_stored_and_returned_verbatim(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, alice
) -> None:
    fields = {
        "title": f"{SQL} {EMOJI}",
        "description": f'{LIKE} {EMOJI} "quoted" $1 ? :name \\x00 {SQL}',
        "tech_stack": [SQL, LIKE, EMOJI],
    }
    created = await create_project(client, alice, **fields)
    for name, value in fields.items():
        assert created[name] == value
    fetched = await client.get(f"/api/projects/{created['id']}", headers=alice.headers)
    assert fetched.status_code == 200 and fetched.json() == created

    renamed = await client.patch(
        f"/api/projects/{created['id']}", json={"title": f"{LIKE}{EMOJI}"}, headers=alice.headers
    )
    assert renamed.status_code == 200 and renamed.json()["title"] == f"{LIKE}{EMOJI}"

    async with session() as db:
        row = (
            await db.execute(
                text("SELECT title, description, tech_stack FROM projects WHERE id = :id"),
                {"id": created["id"]},
            )
        ).one()
        users = await db.scalar(text("SELECT count(*) FROM users"))
    assert tuple(row) == (f"{LIKE}{EMOJI}", fields["description"], fields["tech_stack"])
    assert users == 1  # alice: the table is still there


async def test_sql_and_like_metacharacters_in_search_are_plain_text(client: httpx.AsyncClient, alice) -> None:  # type: ignore[no-untyped-def]
    await create_project(client, alice, title="Plain title", description="nothing special")
    for q in (SQL, LIKE, "%", "_", "\\", EMOJI, "' OR 1=1 --", "a & b | !c <-> d"):
        response = await client.get("/api/projects", params={"q": q}, headers=alice.headers)
        assert response.status_code == 200, (q, response.text)
        assert response.json() == {"items": [], "next_cursor": None}, q


# --- numbers out of range ---------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
@pytest.mark.parametrize(
    "project_id", ["99999999999999999999", str(2**63), str(2**63 - 1), "0", "00000000000000000001"]
)
async def test_ids_no_row_can_have_in_the_path_are_404(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, alice, unchanged, method: str, project_id: str
) -> None:
    kwargs: dict[str, Any] = {"json": {"title": "x"}} if method == "PATCH" else {}
    response = await client.request(method, f"/api/projects/{project_id}", headers=alice.headers, **kwargs)
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("path", ["/api/orders/99999999999999999999", "/api/plans/-1", "/api/services/1e3"])
async def test_path_ids_that_are_not_ids_are_404(
    client: httpx.AsyncClient, admin, unchanged, path: str
) -> None:  # type: ignore[no-untyped-def]
    method = "GET" if path.startswith("/api/orders") else "PATCH"
    response = await client.request(method, path, headers=admin.headers, json={"name": "x"})
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"plan_id": 10**30}, ["body", "plan_id"]),
        ({"plan_id": 2**63}, ["body", "plan_id"]),
        ({"plan_id": 0}, ["body", "plan_id"]),
        ({"plan_id": -1}, ["body", "plan_id"]),
        ({"plan_id": 1e30}, ["body", "plan_id"]),
        ({"plan_id": 1, "project_id": 10**30}, ["body", "project_id"]),
    ],
    ids=["1e30-int", "2**63", "zero", "negative", "1e30-float", "project_id"],
)
async def test_huge_or_impossible_ids_in_a_body_are_422(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, alice, unchanged, body: dict[str, Any], loc: list[Any]
) -> None:
    response = await client.post("/api/orders", json=body, headers=alice.headers)
    assert_validation_error(response, loc)


async def test_largest_bigint_id_in_a_body_is_a_plain_404(
    client: httpx.AsyncClient, alice, unchanged
) -> None:  # type: ignore[no-untyped-def]
    response = await client.post("/api/orders", json={"plan_id": 2**63 - 1}, headers=alice.headers)
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("price", [10**30, -1, 1.5, "100", True])
async def test_price_that_is_not_a_small_whole_number_is_422(
    client: httpx.AsyncClient, admin, unchanged, price
) -> None:  # type: ignore[no-untyped-def]
    response = await client.post(
        "/api/plans", json={"name": "Gold", "price_cents": price}, headers=admin.headers
    )
    assert_validation_error(response, ["body", "price_cents"])


@pytest.mark.parametrize("limit", ["0", "-1", "101", "99999999999999999999", "abc", "", "1.5", "1e2"])
@pytest.mark.parametrize("path", ["/api/projects", "/api/orders", "/api/activity"])
async def test_limit_out_of_range_is_422(client: httpx.AsyncClient, alice, path: str, limit: str) -> None:  # type: ignore[no-untyped-def]
    response = await client.get(f"{path}?limit={limit}", headers=alice.headers)
    assert_validation_error(response, ["query", "limit"])


async def test_limit_at_its_bounds_is_accepted(client: httpx.AsyncClient, alice) -> None:  # type: ignore[no-untyped-def]
    for limit in ("1", "100", " 7 "):
        response = await client.get("/api/projects", params={"limit": limit}, headers=alice.headers)
        assert response.status_code == 200, (limit, response.text)


# --- query strings ----------------------------------------------------------------------------


async def test_unknown_query_parameters_are_ignored(client: httpx.AsyncClient, alice) -> None:  # type: ignore[no-untyped-def]
    project = await create_project(client, alice)
    response = await client.get(
        "/api/projects?utm_source=mail&debug=1&limit=5&%00=x&" + "x" * 1000 + "=y", headers=alice.headers
    )
    assert response.status_code == 200, response.text
    assert [item["id"] for item in response.json()["items"]] == [project["id"]]


async def test_a_repeated_query_parameter_takes_its_last_value(client: httpx.AsyncClient, alice) -> None:  # type: ignore[no-untyped-def]
    draft = await create_project(client, alice, status="draft")
    submitted = await create_project(client, alice, status="submitted")

    async def ids(query: str) -> list[int]:
        response = await client.get(f"/api/projects?{query}", headers=alice.headers)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await ids("status=draft&status=submitted") == [submitted["id"]]
    assert await ids("status=submitted&status=draft") == [draft["id"]]
    assert await ids("limit=500&limit=1") == [submitted["id"]]
    response = await client.get("/api/projects?limit=1&limit=500", headers=alice.headers)
    assert_validation_error(response, ["query", "limit"])
    # ... which is what the document promises.
    document = (await client.get("/api/openapi.json")).json()
    assert "one sent more than once takes its last value" in document["info"]["description"]


# --- cursors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!!",
        "é",
        "====",
        "x" * 201,
        cursor_of([1, 2]),
        cursor_of({"a": 1, "b": 2}),
        cursor_of("ab"),
        cursor_of(None),
        cursor_of(["2024-01-01T00:00:00", 1]),
        cursor_of(["2024-01-01T00:00:00+00:00", 2**63]),
        cursor_of(["2024-01-01T00:00:00+00:00", 10**30]),
        cursor_of(["2024-01-01T00:00:00+00:00", 0]),
        cursor_of(["2024-01-01T00:00:00+00:00", True]),
        cursor_of(["2024-01-01T00:00:00+00:00", 1.0]),
        cursor_of(["2024-01-01T00:00:00+00:00", 1, 2]),
        cursor_of(["not a date", 1]),
        cursor_of([[[[[[[[]]]]]]], 1]),
    ],
)
@pytest.mark.parametrize("path", ["/api/projects", "/api/orders", "/api/activity"])
async def test_a_garbage_cursor_is_422(client: httpx.AsyncClient, alice, path: str, cursor: str) -> None:  # type: ignore[no-untyped-def]
    response = await client.get(path, params={"cursor": cursor}, headers=alice.headers)
    assert_validation_error(response, ["query", "cursor"])


async def test_a_real_cursor_still_pages(client: httpx.AsyncClient, alice) -> None:  # type: ignore[no-untyped-def]
    first, second = await create_project(client, alice), await create_project(client, alice)
    page = await client.get("/api/projects", params={"limit": 1}, headers=alice.headers)
    assert [item["id"] for item in page.json()["items"]] == [second["id"]]
    rest = await client.get(
        "/api/projects", params={"limit": 1, "cursor": page.json()["next_cursor"]}, headers=alice.headers
    )
    assert rest.status_code == 200 and [item["id"] for item in rest.json()["items"]] == [first["id"]]
