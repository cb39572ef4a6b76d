"""Projects: invalid bodies and ids get a 422 or 404 naming the field, and store nothing."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.functions.projects_support import PROJECT, all_rows, create
from tests.support import Account, assert_error, error_locs

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
    assert all(loc[:2] == ("body", field) for loc in error_locs(response))
    assert await all_rows() == []


@pytest.mark.parametrize("missing", ["title", "category"])
async def test_create_without_a_required_field_is_422(
    client: httpx.AsyncClient, alice: Account, missing: str
) -> None:
    payload = {k: v for k, v in PROJECT.items() if k != missing}
    response = await client.post("/api/projects", json=payload, headers=alice.headers)
    assert error_locs(response) == [("body", missing)]
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
