"""Hostile and sloppy bodies, written by hand: malformed, oversized, not UTF-8, of the wrong JSON type.

Each case gets its exact 4xx in the one error shape; nothing is a 500, and a refused write leaves
every data table exactly as it was.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.support import assert_error
from tests.system.bad_input_support import (
    JSON,
    MIB,
    VALID_PROJECT,
    assert_validation_error,
    create_project,
    row_counts,
)

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
