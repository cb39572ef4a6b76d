"""Hostile headers: an overlong or non-ASCII Authorization is a 401; long informational ones are cut."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import text

from lib.core.db import session
from tests.support import assert_error
from tests.system.bad_input_support import (
    JSON,
    VALID_PROJECT,
)

# --- headers ----------------------------------------------------------------------------------


LONG = 64 * 1024


async def test_extra_long_authorization_header_is_401(client: httpx.AsyncClient, unchanged) -> None:  # type: ignore[no-untyped-def]
    for value in (
        "Bearer " + "A" * LONG,
        "Bearer " + "eyJ." * (LONG // 4),
        "Basic " + "A" * LONG,
        "A" * LONG,
    ):
        response = await client.post("/api/projects", json=VALID_PROJECT, headers={"authorization": value})
        assert_error(response, 401, "unauthorized")


@pytest.mark.parametrize("path", ["/api/auth/me", "/api/cron/archive"])
@pytest.mark.parametrize(
    "value",
    [b"Bearer \xff\xfe\xfd", b"Bearer \x01\x02", "Bearer 🚀".encode(), b"Bearer  ", b"bearer x.y.z"],
    ids=["latin-1", "control", "utf-8", "blank", "three-dots"],
)
async def test_authorization_that_is_not_ascii_text_is_401(
    client: httpx.AsyncClient, path: str, value: bytes
) -> None:
    response = await client.get(path, headers={"authorization": value})
    assert_error(response, 401, "unauthorized")


async def test_extra_long_informational_headers_are_cut_to_their_columns(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, alice
) -> None:
    headers = {
        **alice.headers,
        "user-agent": "U" * LONG,
        "x-forwarded-for": "1" * LONG + ", 10.0.0.1",
        "x-vercel-id": "v" * LONG,
        "cookie": "session=" + "c" * LONG,
        "content-type": "application/json; " + "p" * LONG,
    }
    response = await client.post("/api/projects", content=json.dumps(VALID_PROJECT).encode(), headers=headers)
    assert response.status_code == 201, response.text
    request_id = response.headers["x-request-id"]
    assert 0 < len(request_id) <= 128 and request_id != "v" * LONG
    async with session() as db:
        row = (
            await db.execute(
                text(
                    "SELECT user_agent, ip_address, request_id FROM activity_logs"
                    " WHERE action = 'create_project'"
                )
            )
        ).one()
    assert row.user_agent == "U" * 500
    assert row.ip_address == "1" * 64
    assert row.request_id == request_id


async def test_extra_long_header_on_a_failing_write_still_records_the_failure(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, alice, unchanged
) -> None:
    headers = {**alice.headers, **JSON, "user-agent": "U" * LONG}
    response = await client.post("/api/projects", content=b"{", headers=headers)
    error = assert_error(response, 400, "bad_request")
    async with session() as db:
        row = (
            await db.execute(
                text("SELECT status, user_agent FROM activity_logs WHERE request_id = :id"),
                {"id": error["request_id"]},
            )
        ).one()
    assert row.status == "failed" and row.user_agent == "U" * 500
