"""Projects: keyset pagination, filters and full-text search of the list."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from lib.rules import search
from tests.functions.projects_support import create, listed
from tests.support import Account, cursor_of, error_locs

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
    assert error_locs(response) == [("query", "cursor")]


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "2.5"])
async def test_limit_outside_1_to_100_is_422(client: httpx.AsyncClient, alice: Account, limit: str) -> None:
    response = await client.get("/api/projects", params={"limit": limit}, headers=alice.headers)
    assert error_locs(response) == [("query", "limit")]


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


async def searched_pages(client: httpx.AsyncClient, who: Account, **params: Any) -> list[list[int]]:
    """Every page of a searched list, following next_cursor to the end."""
    pages: list[list[int]] = []
    cursor = None
    while True:
        body = await page(client, who, **params, **({"cursor": cursor} if cursor else {}))
        pages.append([item["id"] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


# WALK=1: almost every page needs the GIN tail; 3: some pages fill from the walk, some do not;
# 1000: the walk reaches the end of the table (no tail at all).
@pytest.mark.parametrize("walk", [1, 3, 1000])
async def test_search_pages_are_the_same_whether_the_walk_or_the_index_finds_them(
    client: httpx.AsyncClient,
    alice: Account,
    bob: Account,
    admin: Account,
    monkeypatch: pytest.MonkeyPatch,
    walk: int,
) -> None:
    monkeypatch.setattr(search, "WALK", walk)
    titles = ["Solar tracker", "Library app", "Solar dryer", "Canteen menu", "Parking map", "Quiz bot"]
    ids = {title: (await create(client, alice, title=title))["id"] for title in titles}
    ids["Bob's solar boat"] = (await create(client, bob, title="Bob's solar boat"))["id"]
    kiln = (await create(client, alice, title="Solar kiln", status="submitted"))["id"]
    ids["Hostel rooms"] = (await create(client, alice, title="Hostel rooms"))["id"]
    gone = (await create(client, alice, title="Solar oven"))["id"]
    assert (await client.delete(f"/api/projects/{gone}", headers=alice.headers)).status_code == 204

    mine = [kiln, ids["Solar dryer"], ids["Solar tracker"]]
    assert await searched_pages(client, alice, q="solar", limit=2) == [mine[:2], mine[2:]]
    assert await searched_pages(client, alice, q="solar", limit=3) == [mine]
    everyone = [kiln, ids["Bob's solar boat"], ids["Solar dryer"], ids["Solar tracker"]]
    assert await searched_pages(client, admin, q="solar", limit=1) == [[i] for i in everyone]
    assert await searched_pages(client, admin, q="solar", status="draft") == [everyone[1:]]
    assert await searched_pages(client, alice, q="zeppelin") == [[]]
    # A term most rows match: the page fills from the newest rows.
    many = "solar OR library OR canteen OR parking OR quiz OR hostel"
    expected = [ids["Hostel rooms"], kiln, *[ids[t] for t in reversed(titles)]]
    assert await searched_pages(client, alice, q=many, limit=4) == [expected[:4], expected[4:]]


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
    assert error_locs(response) == [("query", field)]
