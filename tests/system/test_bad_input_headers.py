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
    assert row.ip_address == "203.0.113.7"  # no trusted proxy: the peer, never the header's text
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


async def test_finding_10_a_client_sent_vercel_id_is_not_the_request_id_off_vercel(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, alice
) -> None:
    from lib.core.config import get_settings

    assert not get_settings().on_vercel  # the tests, like make dev, Lambda or a container
    forged = "fra1::forged-by-the-client"
    response = await client.post(
        "/api/projects", json=VALID_PROJECT, headers={**alice.headers, "x-vercel-id": forged}
    )
    assert response.status_code == 201, response.text
    request_id = response.headers["x-request-id"]
    assert request_id != forged and len(request_id) == 32
    failed = await client.get("/api/nowhere", headers={"x-vercel-id": forged})
    assert assert_error(failed, 404, "not_found")["request_id"] != forged
    async with session() as db:
        stored = set((await db.scalars(text("SELECT request_id FROM activity_logs"))).all())
    assert forged not in stored and request_id in stored


# As a header's bytes (read as latin-1): markup, terminal escapes, a line break, C1 NEL, then too much.
HOSTILE_AGENT = b"<script>alert(1)</script>\x1b[2J\x1b]0;owned\x07\r\nX-Injected: 1\x85" + b"U" * 600


async def test_finding_10_user_agent_and_address_are_stored_escaped_and_capped(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, alice, admin
) -> None:
    headers = {**alice.headers, "user-agent": HOSTILE_AGENT}
    response = await client.post("/api/projects", json=VALID_PROJECT, headers=headers)
    assert response.status_code == 201, response.text
    async with session() as db:
        agent = await db.scalar(text("SELECT user_agent FROM activity_logs WHERE action = 'create_project'"))
    assert agent is not None and len(agent) == 500 and agent.isprintable()
    assert agent.startswith("<script>alert(1)</script>\\x1b[2J\\x1b]0;owned\\x07\\r\\nX-Injected: 1\\x85UUU")
    # Where it is shown (the admin's activity list): JSON, which a browser never renders as a page.
    listed = await client.get("/api/activity", params={"action": "create_project"}, headers=admin.headers)
    assert listed.status_code == 200
    assert listed.headers["content-type"] == "application/json"
    assert listed.headers["x-content-type-options"] == "nosniff"
    assert [item["user_agent"] for item in listed.json()["items"]] == [agent]
