"""The OpenAPI document against the server, requests: null accepted exactly where the document says so."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from lib.schemas.common import Patch
from lib.web.openapi import openapi_path
from tests.functions.openapi_truth_support import (
    REQUIRED_SAMPLES,
    TARGETS,
    World,
    accepts_null,
    minimal_body,
    operations,
    refusals_of,
    request_schema,
    send,
)
from tests.support import Account

# --- requests: null accepted exactly where the document says so -----------------------------------


async def test_every_request_body_is_probed(spec: dict[str, Any]) -> None:
    with_body = {(method, path) for method, path, op in operations(spec) if "requestBody" in op}
    assert with_body == set(TARGETS)
    names = {request_schema(spec, method, path)[0] for method, path in with_body}
    assert set(REQUIRED_SAMPLES) <= names  # no stale samples


@pytest.mark.parametrize(("method", "path"), sorted(TARGETS), ids=lambda value: value)
async def test_null_is_accepted_exactly_where_documented(
    client: httpx.AsyncClient,
    alice: Account,
    admin: Account,
    spec: dict[str, Any],
    method: str,
    path: str,
    razorpay_mode: respx.MockRouter,
) -> None:
    """For each property: documented nullable <=> the server takes `null` (2xx), else a 422 on that field."""
    world = World(client, alice, admin)
    name, schema = request_schema(spec, method, path)
    baseline = await send(world, method, path, await minimal_body(world, name, schema))
    assert baseline.is_success, f"{name}: the minimal body must be accepted: {baseline.text}"
    wrong = []
    for key, prop in schema["properties"].items():
        documented = accepts_null(spec, prop)
        body = {**await minimal_body(world, name, schema), key: None}
        response = await send(world, method, path, body)
        refused = refusals_of(response, key)
        accepted = response.is_success
        if documented != accepted or (not documented and not refused):
            wrong.append(
                f"{name}.{key}: document says {'nullable' if documented else 'not nullable'}, "
                f"server answered {response.status_code} {response.text[:300]}"
            )
        if refused:  # what the refusal says: a type error of the value null, or the Patch rule
            assert all(item["msg"] for item in refused), refused
    assert not wrong, "\n".join(wrong)


async def test_request_schemas_carry_no_default_and_patch_bodies_require_nothing(
    spec: dict[str, Any],
) -> None:
    """openapi-typescript (defaultNonNullable) makes a field with `default` required: none in requests."""
    from api.openapi import all_endpoints

    body_models = {(e.method, openapi_path(e.path)): e.body for e in all_endpoints() if e.body is not None}
    for method, path in TARGETS:
        name, schema = request_schema(spec, method, path)
        for key, prop in schema["properties"].items():
            assert "default" not in prop, f"{name}.{key}"
        if issubclass(body_models[(method, path)], Patch):
            assert not schema.get("required"), name
    create = request_schema(spec, "POST", "/api/projects")[1]
    assert create["properties"]["status"]["description"] == 'Default: `"draft"`.'  # documented, in words
    assert create["properties"]["title"]["maxLength"] == 200  # limits kept
    patch = request_schema(spec, "PATCH", "/api/projects/{id}")[1]
    assert patch["properties"]["title"] == {
        "type": "string",
        "minLength": 1,
        "maxLength": 200,
        "title": "Title",
    }
