"""Hostile and sloppy input, written by hand: every case gets its exact 4xx in the one error shape.

Nothing here may be a 500, and a refused write leaves every data table exactly as it was.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from lib.core.db import session

# The tables a request writes data to (the activity log and rate-limit buckets record failures too).
DATA_TABLES = (
    "users",
    "projects",
    "plans",
    "services",
    "user_services",
    "orders",
    "synopsis",
    "meetings",
    "admin_requests",
    "chatbot_history",
    "idea_generation_history",
)
JSON = {"content-type": "application/json"}
MIB = 1024 * 1024
VALID_PROJECT = {"title": "Smart irrigation", "category": "iot"}


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The exact status, the API's one error shape, and the request id in body and header."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details", "request_id"}
    assert body["error"]["code"] == code
    assert body["error"]["request_id"]
    assert body["error"]["request_id"] == response.headers["x-request-id"]
    return body["error"]


def assert_validation_error(response: httpx.Response, *locs: list[Any]) -> list[dict[str, Any]]:
    """A 422 whose details name (at least) each of `locs`, as `{loc, msg, type}` items."""
    details = assert_error(response, 422, "validation_error")["details"]
    assert details and all(set(item) == {"loc", "msg", "type"} for item in details)
    for loc in locs:
        assert loc in [item["loc"] for item in details], details
    return details


async def row_counts() -> dict[str, int]:
    async with session() as db:
        counts = (
            await db.execute(text("SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in DATA_TABLES)))
        ).one()
    return dict(zip(DATA_TABLES, counts, strict=True))


@pytest.fixture
async def unchanged(client: httpx.AsyncClient, alice, admin) -> AsyncIterator[None]:  # type: ignore[no-untyped-def]
    """Asserts, after the test, that no data table gained or lost a row."""
    before = await row_counts()
    yield
    assert await row_counts() == before


async def create_project(client: httpx.AsyncClient, account, **fields: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = await client.post("/api/projects", json={**VALID_PROJECT, **fields}, headers=account.headers)
    assert response.status_code == 201, response.text
    return response.json()


def cursor_of(value: Any) -> str:
    """A cursor in the server's encoding (urlsafe base64 of JSON, unpadded) around any JSON value."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


# --- malformed bodies -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"title": ',
        b"{'title': 'single quotes'}",
        b"",
        b'{"title": "x", "category": "web"}}',
        b'{"title": "x", "category": "web",}',
        b"\x00",
        b"undefined",
    ],
    ids=["truncated", "single-quotes", "empty", "trailing-brace", "trailing-comma", "nul-byte", "bare-word"],
)
async def test_malformed_json_is_400(client: httpx.AsyncClient, alice, unchanged, body: bytes) -> None:  # type: ignore[no-untyped-def]
    response = await client.post("/api/projects", content=body, headers={**alice.headers, **JSON})
    assert assert_error(response, 400, "bad_request")["message"] == "Request body is not valid JSON"


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "application/jsonx",
        "application/json-patch+json",
        None,
    ],
)
async def test_wrong_content_type_is_400(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, alice, unchanged, content_type: str | None
) -> None:
    headers = dict(alice.headers)
    if content_type is not None:
        headers["content-type"] = content_type
    response = await client.post("/api/projects", content=json.dumps(VALID_PROJECT).encode(), headers=headers)
    assert assert_error(response, 400, "bad_request")["message"] == "Content-Type must be application/json"


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "Application/JSON"])
async def test_json_content_type_with_parameters_or_other_case_is_accepted(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, alice, content_type: str
) -> None:
    response = await client.post(
        "/api/projects",
        content=json.dumps(VALID_PROJECT).encode(),
        headers={**alice.headers, "content-type": content_type},
    )
    assert response.status_code == 201, response.text


def two_mib_project() -> bytes:
    body = json.dumps({**VALID_PROJECT, "description": "x" * (2 * MIB)}).encode()
    assert len(body) > 2 * MIB
    return body


async def test_two_mib_body_with_content_length_is_413(client: httpx.AsyncClient, alice, unchanged) -> None:  # type: ignore[no-untyped-def]
    body = two_mib_project()
    response = await client.post("/api/projects", content=body, headers={**alice.headers, **JSON})
    assert response.request.headers["content-length"] == str(len(body))
    assert_error(response, 413, "payload_too_large")


async def test_two_mib_streamed_body_without_content_length_is_413(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, alice, unchanged
) -> None:
    body = two_mib_project()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    response = await client.post("/api/projects", content=chunks(), headers={**alice.headers, **JSON})
    assert "content-length" not in response.request.headers
    assert_error(response, 413, "payload_too_large")


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    ],
    ids=["unclosed-arrays", "closed-arrays", "objects"],
)
async def test_json_nested_beyond_the_parser_limit_is_400(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, alice, unchanged, body: bytes
) -> None:
    response = await client.post("/api/projects", content=body, headers={**alice.headers, **JSON})
    assert assert_error(response, 400, "bad_request")["message"] == "Request body is not valid JSON"


async def test_json_nested_within_the_parser_limit_is_422(
    client: httpx.AsyncClient, alice, unchanged
) -> None:  # type: ignore[no-untyped-def]
    nested = "[" * 500 + "]" * 500
    body = f'{{"title": "x", "category": "web", "tech_stack": {nested}}}'.encode()
    response = await client.post("/api/projects", content=body, headers={**alice.headers, **JSON})
    assert_validation_error(response, ["body", "tech_stack", 0])


@pytest.mark.parametrize(
    "body",
    [
        b'{"title": "\xc3\x28", "category": "web"}',
        b'{"title": "caf\xe9", "category": "web"}',
        b'{"title": "\xff\xfe\xfd", "category": "web"}',
        b'{"title": "\xed\xa0\x80", "category": "web"}',
        json.dumps(VALID_PROJECT).encode("utf-16"),
        json.dumps(VALID_PROJECT).encode("utf-16-le"),
        json.dumps(VALID_PROJECT).encode("utf-32"),
    ],
    ids=[
        "bad-continuation",
        "latin-1",
        "invalid-bytes",
        "encoded-surrogate",
        "utf-16-bom",
        "utf-16-le",
        "utf-32",
    ],
)
async def test_body_that_is_not_utf8_is_400(client: httpx.AsyncClient, alice, unchanged, body: bytes) -> None:  # type: ignore[no-untyped-def]
    response = await client.post("/api/projects", content=body, headers={**alice.headers, **JSON})
    assert assert_error(response, 400, "bad_request")["message"] == "Request body is not valid JSON"


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"title": "a\u0000b"}, ["body", "title"]),
        ({"description": "\u0000"}, ["body", "description"]),
        ({"tech_stack": ["ok", "py\u0000thon"]}, ["body", "tech_stack"]),
        ({"title": "\ud800 lone surrogate"}, ["body", "title"]),
    ],
    ids=["title", "description", "list-item", "lone-surrogate"],
)
async def test_nul_and_lone_surrogates_in_strings_are_422(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, alice, unchanged, fields: dict[str, Any], loc: list[Any]
) -> None:
    body = json.dumps({**VALID_PROJECT, **fields}).encode()  # escaped: \u0000 and \ud800 as JSON text
    response = await client.post("/api/projects", content=body, headers={**alice.headers, **JSON})
    assert_validation_error(response, loc)


async def test_nul_in_a_patch_leaves_the_row_unchanged(client: httpx.AsyncClient, alice) -> None:  # type: ignore[no-untyped-def]
    project = await create_project(client, alice)
    before = await row_counts()
    response = await client.patch(
        f"/api/projects/{project['id']}", json={"title": "evil\u0000"}, headers=alice.headers
    )
    assert_validation_error(response, ["body", "title"])
    after = await client.get(f"/api/projects/{project['id']}", headers=alice.headers)
    assert after.json() == project
    assert await row_counts() == before


@pytest.mark.parametrize("name", ["q", "cursor", "category"])
async def test_nul_in_a_query_parameter_is_422(client: httpx.AsyncClient, alice, name: str) -> None:  # type: ignore[no-untyped-def]
    response = await client.get(f"/api/projects?{name}=a%00b", headers=alice.headers)
    assert_validation_error(response, ["query", name])


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


# --- bodies of the wrong JSON type ------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [[], [VALID_PROJECT], "a string", None, 42, True, 1.5],
    ids=["empty-list", "list-of-object", "string", "null", "number", "true", "float"],
)
@pytest.mark.parametrize("target", ["POST /api/projects", "PATCH /api/projects/{id}", "POST /api/orders"])
async def test_a_body_that_is_not_an_object_is_422(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, alice, target: str, body: Any
) -> None:
    project = await create_project(client, alice)
    before = await row_counts()
    method, path = target.split(" ")
    response = await client.request(
        method,
        path.format(id=project["id"]),
        content=json.dumps(body).encode(),
        headers={**alice.headers, **JSON},
    )
    details = assert_validation_error(response, ["body"])
    assert details[0]["type"] == "model_type"
    assert await row_counts() == before
    assert (await client.get(f"/api/projects/{project['id']}", headers=alice.headers)).json() == project


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
