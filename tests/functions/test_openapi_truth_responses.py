"""The OpenAPI document against the server, responses: every field sent is required, null only where sent."""

from __future__ import annotations

import copy
import types
import typing
from collections.abc import Iterator
from typing import Any

import httpx
import respx
from jsonschema import Draft202012Validator
from pydantic import BaseModel
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.functions.openapi_truth_support import (
    CRON,
    TRUTH_RAZORPAY_PAYMENT,
    World,
    accepts_null,
    operations,
    resolve,
    response_components,
    success_schema,
)
from tests.functions.payments_support import razorpay_event, razorpay_headers
from tests.support import DEFAULT_PASSWORD, Account

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
    # By now the admins' moves above have told Alice of several changes.
    await w("GET", "/api/notifications", alice, expect=200)
    await w("GET", "/api/notifications/unread-count", alice, expect=200)
    await w("POST", "/api/notifications/read", alice, json={"all": True}, expect=200)
    await exercise_files(world, synopsis)
    await exercise_payments(world)
    await exercise_accounts(world)
    await w("GET", "/api/cron/archive", None, headers=CRON, expect=200)
    await w("GET", "/api/cron/outbox", None, headers=CRON, expect=200)
    await w("GET", "/api/cron/storage", None, headers=CRON, expect=200)


async def exercise_files(world: World, synopsis: int) -> None:
    """A real PDF up to the local S3 server through its presigned PUT, completed, shown, listed."""
    from tests.functions.files_support import put, real_pdf

    alice, w = world.alice, world.call
    pdf = real_pdf()
    body = {
        "purpose": "synopsis",
        "entity_id": synopsis,
        "filename": "synopsis.pdf",
        "content_type": "application/pdf",
        "size_bytes": len(pdf),
    }
    created = (await w("POST", "/api/files", alice, json=body, expect=201)).json()
    assert (await put(created["upload"], pdf)).status_code == 200
    file_id = created["file"]["id"]
    await w("POST", "/api/files/{id}/complete", alice, id=file_id, expect=200)
    await w("GET", "/api/files/{id}", alice, id=file_id, expect=200)
    await w("POST", "/api/files", alice, json=body, expect=201)  # a pending one: no download URL yet
    await w("GET", "/api/files", alice, expect=200)


async def exercise_payments(world: World) -> None:
    """Checkout, the webhook, the verification and a refund, with Razorpay configured (respx answers it)."""
    alice, admin, w = world.alice, world.admin, world.call
    order = await world.order()
    await w("POST", "/api/orders/{id}/checkout", alice, id=order, expect=201)
    raw = razorpay_event("payment.captured", order_id="order_RZPcheckout", payment_id="pay_1", amount=49_900)
    headers = razorpay_headers(raw, "evt_truth")
    await w(
        "POST",
        "/api/payments/{provider}/webhook",
        None,
        content=raw,
        headers=headers,
        provider="razorpay",
        expect=200,
    )
    body = {
        "razorpay_order_id": await world.razorpay_order(),
        "razorpay_payment_id": TRUTH_RAZORPAY_PAYMENT,
        "razorpay_signature": await world.razorpay_signature(),
    }
    await w("POST", "/api/payments/razorpay/verify", alice, json=body, expect=200)
    await w("POST", "/api/orders/{id}/refund", admin, id=order, expect=200)


async def exercise_accounts(world: World) -> None:
    """The account and user operations, once Alice has a row of every kind (the export's lists)."""
    alice, admin, w = world.alice, world.admin, world.call
    await w("GET", "/api/auth/me/export", alice, expect=200)
    await w("PATCH", "/api/auth/me", alice, json={"college": "IIT Madras", "phone": None}, expect=200)
    await w("POST", "/api/auth/verify-email/resend", alice, expect=202)
    await w(
        "POST", "/api/auth/verify-email", None, json={"token": await world.verification_token()}, expect=200
    )
    await w("GET", "/api/users", admin, expect=200)
    await w("GET", "/api/users/{id}", admin, id=alice.id, expect=200)
    await w("PATCH", "/api/users/{id}", admin, json={"is_active": True}, id=alice.id, expect=200)
    await w("POST", "/api/users/{id}/password-reset", admin, id=alice.id, expect=202)
    await w("POST", "/api/auth/password-reset", None, json={"email": alice.email}, expect=202)
    body = {"current_password": DEFAULT_PASSWORD, "new_password": "a brand new passphrase"}
    await w("POST", "/api/auth/change-password", await world.fresh_user(), json=body, expect=200)
    # Last: confirming a reset revokes Alice's token.
    body = {"token": await world.reset_token(), "password": "a brand new passphrase"}
    await w("POST", "/api/auth/password-reset/confirm", None, json=body, expect=200)


async def test_every_response_matches_its_schema_required_fields_included(
    client: httpx.AsyncClient,
    alice: Account,
    admin: Account,
    spec: dict[str, Any],
    storage: dict[str, str],
    razorpay_mode: respx.MockRouter,
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
    stack = [e.response_model for e in all_endpoints() if isinstance(e.response_model, type)]
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
