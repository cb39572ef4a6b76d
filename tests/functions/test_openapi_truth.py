"""The OpenAPI document against the server: null per request field; required, nullable per response field."""

from __future__ import annotations

import copy
import itertools
import types
import typing
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from pydantic import BaseModel
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from lib.schemas.common import Patch
from lib.web.openapi import openapi_path
from tests.support import DEFAULT_PASSWORD, Account

CRON = {"Authorization": "Bearer test-cron-secret-value"}
_serial = itertools.count(1)


@pytest.fixture
async def spec(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/api/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


# --- reading the document ---------------------------------------------------------------------------


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def accepts_null(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    """Whether `schema` lets `null` through (a `null` branch, type or const, or no constraint at all)."""
    schema = resolve(document, schema)
    if not schema:
        return True
    branches = schema.get("anyOf", []) + schema.get("oneOf", [])
    if branches:
        return any(accepts_null(document, branch) for branch in branches)
    kind = schema.get("type")
    return kind == "null" or (isinstance(kind, list) and "null" in kind) or schema.get("const", 0) is None


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            yield method.upper(), path, op


def request_schema(document: dict[str, Any], method: str, path: str) -> tuple[str, dict[str, Any]]:
    ref = document["paths"][path][method.lower()]["requestBody"]["content"]["application/json"]["schema"]
    return ref["$ref"].rsplit("/", 1)[1], resolve(document, ref)


def success_schema(op: dict[str, Any]) -> dict[str, Any] | None:
    """The schema of an operation's 2xx JSON response when it names a component (a model)."""
    status = next(code for code in op["responses"] if code.startswith("2"))
    schema = op["responses"][status].get("content", {}).get("application/json", {}).get("schema", {})
    return schema if "$ref" in schema else None


def referenced(document: dict[str, Any], schema: Any) -> Iterator[str]:
    """The component names `schema` refers to, transitively."""
    seen: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "$ref" in node:
                name = node["$ref"].rsplit("/", 1)[1]
                if name not in seen:
                    seen.add(name)
                    yield name
                    stack.append(document["components"]["schemas"][name])
            stack.extend(value for key, value in node.items() if key != "$ref")
        elif isinstance(node, list):
            stack.extend(node)


def response_components(document: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for _, _, op in operations(document):
        if (schema := success_schema(op)) is not None:
            names.update(referenced(document, schema))
    return names


# --- the server's resources, made through the API ----------------------------------------------------


def soon() -> str:
    return (datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)).isoformat()


class World:
    """Alice, an admin and the rows a request needs, made through the API; every 2xx response kept."""

    def __init__(self, client: httpx.AsyncClient, alice: Account, admin: Account) -> None:
        self.client, self.alice, self.admin = client, alice, admin
        self.seen: dict[tuple[str, str], list[httpx.Response]] = {}

    async def call(
        self,
        method: str,
        template: str,
        account: Account | None,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        expect: int | None = None,
        **ids: Any,
    ) -> httpx.Response:
        response = await self.client.request(
            method,
            template.format(**ids),
            json=json,
            params=params,
            headers=headers if headers is not None else (account.headers if account else {}),
        )
        if response.is_success:
            self.seen.setdefault((method, template), []).append(response)
        if expect is not None:
            assert response.status_code == expect, f"{method} {template}: {response.text}"
        return response

    async def _id(self, template: str, account: Account, body: dict[str, Any]) -> int:
        response = await self.call("POST", template, account, json=body, expect=201)
        return int(response.json()["id"])

    async def project(self) -> int:
        return await self._id("/api/projects", self.alice, {"title": "Smart farm", "category": "iot"})

    async def plan(self) -> int:
        body = {"name": f"Plan {next(_serial)}", "price_cents": 49_900}
        return await self._id("/api/plans", self.admin, body)

    async def service(self) -> int:
        body = {"name": f"Service {next(_serial)}", "price_cents": 1_000}
        return await self._id("/api/services", self.admin, body)

    async def idea(self) -> int:
        body = {"category": "iot", "interests": ["farming"], "count": 1}
        response = await self.call("POST", "/api/ideas/generate", self.alice, json=body, expect=201)
        return int(response.json()["ideas"][0]["id"])

    async def meeting(self) -> int:
        body = {"scheduled_at": soon(), "duration_minutes": 30, "agenda": "Review my synopsis"}
        return await self._id("/api/meetings", self.alice, body)

    async def admin_request(self) -> int:
        body = {"request_type": "deadline", "message": "Please extend my deadline"}
        return await self._id("/api/admin-requests", self.alice, body)

    async def synopsis(self) -> int:
        body = {"project_id": await self.project(), "title": "Farm", "abstract": "Sensors and a dashboard"}
        return await self._id("/api/synopsis", self.alice, body)

    async def order(self) -> int:
        return await self._id("/api/orders", self.alice, {"plan_id": await self.plan()})


Maker = Callable[[World], Awaitable[Any]]

# Every operation with a request body: who sends it and the ids its path needs (made afresh per request).
TARGETS: dict[tuple[str, str], tuple[str | None, dict[str, Maker]]] = {
    ("POST", "/api/admin-requests"): ("alice", {}),
    ("PATCH", "/api/admin-requests/{id}"): ("alice", {"id": World.admin_request}),
    ("POST", "/api/auth/login"): (None, {}),
    ("POST", "/api/auth/register"): (None, {}),
    ("POST", "/api/chatbot"): ("alice", {}),
    ("POST", "/api/ideas/generate"): ("alice", {}),
    ("PATCH", "/api/ideas/{id}"): ("alice", {"id": World.idea}),
    ("POST", "/api/ideas/{id}/refine"): ("alice", {"id": World.idea}),
    ("POST", "/api/meetings"): ("alice", {}),
    ("PATCH", "/api/meetings/{id}"): ("alice", {"id": World.meeting}),
    ("POST", "/api/orders"): ("alice", {}),
    ("PATCH", "/api/orders/{id}"): ("admin", {"id": World.order}),
    ("POST", "/api/plans"): ("admin", {}),
    ("PATCH", "/api/plans/{id}"): ("admin", {"id": World.plan}),
    ("POST", "/api/projects"): ("alice", {}),
    ("PATCH", "/api/projects/{id}"): ("alice", {"id": World.project}),
    ("POST", "/api/services"): ("admin", {}),
    ("PATCH", "/api/services/{id}"): ("admin", {"id": World.service}),
    ("POST", "/api/services/{id}/subscribe"): ("alice", {"id": World.service}),
    ("POST", "/api/synopsis"): ("alice", {}),
    ("PATCH", "/api/synopsis/{id}"): ("alice", {"id": World.synopsis}),
}


async def _fresh_email(world: World) -> str:
    return f"user{next(_serial)}@example.com"


async def _fresh_name(world: World) -> str:
    return f"Name {next(_serial)}"


async def _future(world: World) -> str:
    return soon()


# A valid value of every *required* field of every request schema (the minimal body is built from the
# schema's `required` list: a field it newly requires fails the test until it has a sample here).
REQUIRED_SAMPLES: dict[str, dict[str, Any]] = {
    "AdminRequestCreate": {"request_type": "deadline", "message": "Please extend my deadline"},
    "ChatIn": {"message": "Hello!"},
    "IdeaGenerateIn": {"category": "iot", "interests": ["farming"]},
    "IdeaRefineIn": {"instructions": "Make it cheaper"},
    "LoginIn": {"email": "alice@example.com", "password": DEFAULT_PASSWORD},
    "MeetingCreate": {"scheduled_at": _future, "duration_minutes": 30, "agenda": "Review my synopsis"},
    "OrderCreate": {"plan_id": World.plan},
    "OrderStatusUpdate": {"status": "paid"},
    "PlanCreate": {"name": _fresh_name, "price_cents": 49_900},
    "ProjectCreate": {"title": "Smart farm", "category": "iot"},
    "RegisterIn": {"email": _fresh_email, "password": DEFAULT_PASSWORD, "full_name": "Carol"},
    "ServiceCreate": {"name": _fresh_name, "price_cents": 1_000},
    "SynopsisCreate": {"project_id": World.project, "title": "Farm", "abstract": "Sensors and a dashboard"},
}


async def _value(world: World, sample: Any) -> Any:
    return await sample(world) if callable(sample) else sample


async def minimal_body(world: World, name: str, schema: dict[str, Any]) -> dict[str, Any]:
    samples = REQUIRED_SAMPLES.get(name, {})
    missing = set(schema.get("required", [])) - set(samples)
    assert not missing, f"{name}: add a sample value for required {sorted(missing)}"
    return {field: await _value(world, samples[field]) for field in schema.get("required", [])}


async def send(world: World, method: str, path: str, body: dict[str, Any]) -> httpx.Response:
    caller, makers = TARGETS[(method, path)]
    account = {"alice": world.alice, "admin": world.admin, None: None}[caller]
    ids = {name: await make(world) for name, make in makers.items()}
    return await world.call(method, path, account, json=body, **ids)


def refusals_of(response: httpx.Response, key: str) -> list[dict[str, Any]]:
    """The 422 details naming body field `key` (the only change from an accepted body: its null)."""
    if response.status_code != 422:
        return []
    details = response.json()["error"]["details"] or []
    return [item for item in details if item.get("loc") == ["body", key]]


# --- requests: null accepted exactly where the document says so -----------------------------------


async def test_every_request_body_is_probed(spec: dict[str, Any]) -> None:
    with_body = {(method, path) for method, path, op in operations(spec) if "requestBody" in op}
    assert with_body == set(TARGETS)
    names = {request_schema(spec, method, path)[0] for method, path in with_body}
    assert set(REQUIRED_SAMPLES) <= names  # no stale samples


@pytest.mark.parametrize(("method", "path"), sorted(TARGETS), ids=lambda value: value)
async def test_null_is_accepted_exactly_where_documented(
    client: httpx.AsyncClient, alice: Account, admin: Account, spec: dict[str, Any], method: str, path: str
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


# --- responses: what the server always sends is required, null only where it can be sent -----------


def closed(document: dict[str, Any]) -> dict[str, Any]:
    """The document with every response object closed to its properties (nothing undocumented sent)."""
    document = copy.deepcopy(document)
    for name in response_components(document):
        schema = document["components"]["schemas"][name]
        if "properties" in schema and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
    return document


def validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource("urn:openapi", resource)
    return Draft202012Validator({"$ref": "urn:openapi" + schema["$ref"]}, registry=registry)


async def exercise_every_operation(world: World) -> None:
    """At least one 2xx response of every operation that answers with a model; lists not empty."""
    alice, admin = world.alice, world.admin
    w = world.call
    await w(
        "POST",
        "/api/auth/register",
        None,
        json={"email": "carol@example.com", "password": DEFAULT_PASSWORD, "full_name": "Carol"},
        expect=201,
    )
    await w(
        "POST", "/api/auth/login", None, json={"email": alice.email, "password": alice.password}, expect=200
    )
    await w("GET", "/api/auth/me", alice, expect=200)

    project = await world.project()
    await w(
        "POST",
        "/api/projects",
        alice,
        json={"title": "Dated", "category": "web", "deadline": "2030-01-31"},
        expect=201,
    )
    await w("GET", "/api/projects/{id}", alice, id=project, expect=200)
    await w("PATCH", "/api/projects/{id}", alice, json={"title": "Renamed"}, id=project, expect=200)
    await w("GET", "/api/projects", alice, expect=200)

    plan = await world.plan()
    await w("GET", "/api/plans/{id}", None, id=plan, expect=200)
    await w("PATCH", "/api/plans/{id}", admin, json={"description": "The basics"}, id=plan, expect=200)
    await w("GET", "/api/plans", None, expect=200)
    order = await w("POST", "/api/orders", alice, json={"plan_id": plan, "project_id": project}, expect=201)
    await world.order()
    await w("GET", "/api/orders/{id}", alice, id=order.json()["id"], expect=200)
    await w("PATCH", "/api/orders/{id}", admin, json={"status": "paid"}, id=order.json()["id"], expect=200)
    await w("GET", "/api/orders", alice, expect=200)

    service = await world.service()
    await w("GET", "/api/services/{id}", None, id=service, expect=200)
    await w("PATCH", "/api/services/{id}", admin, json={"is_active": True}, id=service, expect=200)
    await w("GET", "/api/services", None, expect=200)
    await w("POST", "/api/services/{id}/subscribe", alice, json={}, id=service, expect=201)
    await w(
        "POST",
        "/api/services/{id}/subscribe",
        alice,
        json={"project_id": project},
        id=await world.service(),
        expect=201,
    )
    await w("GET", "/api/services/mine", alice, expect=200)

    meeting = await world.meeting()
    await w("GET", "/api/meetings/{id}", alice, id=meeting, expect=200)
    body = {"status": "confirmed", "meeting_link": "https://meet.example.com/abc"}
    await w("PATCH", "/api/meetings/{id}", admin, json=body, id=meeting, expect=200)
    await world.meeting()
    await w("GET", "/api/meetings", alice, expect=200)

    synopsis = await world.synopsis()
    await w("GET", "/api/synopsis/{id}", alice, id=synopsis, expect=200)
    await w("PATCH", "/api/synopsis/{id}", alice, json={"status": "submitted"}, id=synopsis, expect=200)
    body = {"status": "under_review", "feedback": "Well argued"}
    await w("PATCH", "/api/synopsis/{id}", admin, json=body, id=synopsis, expect=200)
    await world.synopsis()
    await w("GET", "/api/synopsis", alice, expect=200)

    request = await world.admin_request()
    await w("GET", "/api/admin-requests/{id}", alice, id=request, expect=200)
    body = {"status": "resolved", "admin_response": "Extended by a week"}
    await w("PATCH", "/api/admin-requests/{id}", admin, json=body, id=request, expect=200)
    await world.admin_request()
    await w("GET", "/api/admin-requests", alice, expect=200)

    idea = await world.idea()
    await w("GET", "/api/ideas/{id}", alice, id=idea, expect=200)
    await w("PATCH", "/api/ideas/{id}", alice, json={"user_selected": True, "rating": 4}, id=idea, expect=200)
    await w("POST", "/api/ideas/{id}/refine", alice, json={"instructions": "Cheaper"}, id=idea, expect=201)
    await w("GET", "/api/ideas", alice, expect=200)

    chat = await w("POST", "/api/chatbot", alice, json={"message": "Hello!"}, expect=200)
    await w("POST", "/api/chatbot", alice, json={"message": "My orders?", "project_id": project}, expect=200)
    await w("GET", "/api/chatbot/sessions", alice, expect=200)
    await w(
        "GET", "/api/chatbot/sessions/{session_id}", alice, session_id=chat.json()["session_id"], expect=200
    )

    await w(
        "PATCH", "/api/projects/{id}", alice, json={"title": ""}, id=project, expect=422
    )  # a failed action
    await w("GET", "/api/activity", alice, expect=200)
    for report in ("active-users", "failed-actions", "chatbot-daily", "chatbot-response-times"):
        await w("GET", f"/api/admin/stats/{report}", admin, expect=200)
    await w("GET", "/api/admin/stats/idea-categories", admin, expect=200)
    await w("GET", "/api/admin/stats/recent-ideas", admin, expect=200)
    await w("GET", "/api/cron/archive", None, headers=CRON, expect=200)


async def test_every_response_matches_its_schema_required_fields_included(
    client: httpx.AsyncClient, alice: Account, admin: Account, spec: dict[str, Any]
) -> None:
    world = World(client, alice, admin)
    await exercise_every_operation(world)
    document = closed(spec)
    wanted = {(method, path) for method, path, op in operations(spec) if success_schema(op) is not None}
    assert wanted <= set(world.seen), f"not sampled: {sorted(wanted - set(world.seen))}"
    for method, path, op in operations(spec):
        if (method, path) not in wanted:
            continue
        schema = success_schema(op)
        assert schema is not None
        check = validator(document, schema)
        bodies = [response.json() for response in world.seen[(method, path)]]
        for body in bodies:
            errors = [f"{list(e.absolute_path)}: {e.message}" for e in check.iter_errors(body)]
            assert not errors, f"{method} {path}: {errors}"
        # A list of models is checked item by item only where it has items: each one once, at least.
        properties = resolve(spec, schema)["properties"]
        lists = [key for key, prop in properties.items() if "$ref" in prop.get("items", {})]
        for key in lists:
            assert any(body.get(key) for body in bodies), f"{method} {path}: `{key}` never had an item"


async def test_response_schemas_require_every_property(spec: dict[str, Any]) -> None:
    """Responses are dumped whole (defaults too): a property a response schema leaves optional is a lie."""
    for name in sorted(response_components(spec)):
        schema = spec["components"]["schemas"][name]
        if "properties" in schema:
            assert set(schema.get("required", [])) == set(schema["properties"]), name


def _allows_none(annotation: Any) -> bool:
    if annotation is Any or annotation is None or annotation is type(None):
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _allows_none(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return any(_allows_none(arg) for arg in typing.get_args(annotation))
    if origin is typing.Literal:
        return None in typing.get_args(annotation)
    return False


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from _models_in(arg)


def response_models() -> list[type[BaseModel]]:
    from api.openapi import all_endpoints

    found: dict[str, type[BaseModel]] = {}
    stack = [e.response for e in all_endpoints() if isinstance(e.response, type)]
    while stack:
        model = stack.pop()
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or model.__name__ in found:
            continue
        found[model.__name__] = model
        for field in model.model_fields.values():
            stack.extend(_models_in(field.annotation))
    return list(found.values())


async def test_response_nullability_follows_the_model_types(spec: dict[str, Any]) -> None:
    """A response field is nullable in the document exactly when its model's type admits None."""
    by_title = {
        schema.get("title"): schema
        for name, schema in spec["components"]["schemas"].items()
        if name in response_components(spec)
    }
    models = response_models()
    assert len(models) >= 30
    for model in models:
        schema = by_title[model.__name__]
        for name, field in model.model_fields.items():
            key = field.serialization_alias or field.alias or name
            documented = accepts_null(spec, schema["properties"][key])
            assert documented == _allows_none(field.annotation), f"{model.__name__}.{name}"
