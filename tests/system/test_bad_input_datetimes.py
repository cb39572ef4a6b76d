"""Datetimes whose UTC value leaves years 1 to 9999: every path taking one (cursor, query, body) is a 422."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from lib.schemas.common import OUTSIDE_DATETIME_RANGE
from tests.functions.meetings_support import create
from tests.support import cursor_of
from tests.system.bad_input_support import assert_validation_error

# Each is valid ISO 8601 with an offset pydantic accepts; in UTC it is year 0 or year 10000.
OUT_OF_RANGE = ("0001-01-01T00:00:00+23:59", "0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59-00:01")


async def _cursor_paths(client: httpx.AsyncClient) -> list[str]:
    """Every list the API serves with a `cursor` parameter, from the OpenAPI document."""
    document = (await client.get("/api/openapi.json")).json()
    return sorted(
        path
        for path, item in document["paths"].items()
        if "{" not in path and any(p["name"] == "cursor" for p in item.get("get", {}).get("parameters", []))
    )


@pytest.mark.parametrize("moment", OUT_OF_RANGE)
async def test_finding_6_out_of_range_cursor_is_422(
    client: httpx.AsyncClient, admin: Any, moment: str
) -> None:
    paths = await _cursor_paths(client)
    assert {"/api/projects", "/api/activity", "/api/chatbot/sessions", "/api/meetings"} <= set(paths)
    for path in paths:
        key: Any = str(uuid.uuid4()) if path == "/api/chatbot/sessions" else 1
        response = await client.get(path, params={"cursor": cursor_of([moment, key])}, headers=admin.headers)
        assert response.status_code == 422, (path, response.text)
        assert_validation_error(response, ["query", "cursor"])


@pytest.mark.parametrize("moment", OUT_OF_RANGE)
@pytest.mark.parametrize(
    ("path", "name", "loc"),
    [
        ("/api/meetings", "from", "from"),
        ("/api/meetings", "to", "to"),
        ("/api/activity", "since", "since"),
        ("/api/activity", "until", "until"),
    ],
)
async def test_finding_6_out_of_range_query_datetime_is_422(
    client: httpx.AsyncClient, admin: Any, path: str, name: str, loc: str, moment: str
) -> None:
    response = await client.get(path, params={name: moment}, headers=admin.headers)
    details = assert_validation_error(response, ["query", loc])
    assert OUTSIDE_DATETIME_RANGE in details[0]["msg"]


@pytest.mark.parametrize("moment", OUT_OF_RANGE)
async def test_finding_6_out_of_range_body_datetime_is_422(
    client: httpx.AsyncClient, alice: Any, moment: str
) -> None:
    body = {"scheduled_at": moment, "duration_minutes": 30, "agenda": "Review"}
    created = await client.post("/api/meetings", json=body, headers=alice.headers)
    details = assert_validation_error(created, ["body", "scheduled_at"])
    assert OUTSIDE_DATETIME_RANGE in details[0]["msg"]
    meeting = await create(client, alice)
    moved = await client.patch(
        f"/api/meetings/{meeting['id']}", json={"scheduled_at": moment}, headers=alice.headers
    )
    assert_validation_error(moved, ["body", "scheduled_at"])


async def test_finding_6_the_edges_of_the_range_still_filter(client: httpx.AsyncClient, admin: Any) -> None:
    edges = {"since": "0001-01-01T00:00:00+00:00", "until": "9999-12-31T23:59:59+00:00"}
    response = await client.get("/api/activity", params=edges, headers=admin.headers)
    assert response.status_code == 200, response.text
