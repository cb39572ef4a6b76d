"""The OpenAPI 3.1 document, generated from the functions' route tables and pydantic models."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from lib.core.errors import BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthorized
from lib.core.limits import MAX_DB_ID
from lib.web import caching
from lib.web.endpoints import Endpoint

REF = "#/components/schemas/{model}"
_PATH_PARAM = re.compile(r"{(\w+)(?::(\w+))?}")

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details", "request_id"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {},
                "request_id": {"type": ["string", "null"]},
            },
        }
    },
}
STATUS_TEXT = {
    200: "OK",
    201: "Created",
    204: "No Content",
    304: "Not modified",
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    422: "Validation error",
    429: "Rate limited",
    500: "Internal error",
    503: "Database unavailable",
}


def openapi_path(path: str) -> str:
    """`/api/projects/{id:int}` -> `/api/projects/{id}`."""
    return _PATH_PARAM.sub(lambda m: "{" + m.group(1) + "}", path)


def _path_parameters(path: str) -> list[dict[str, Any]]:
    parameters = []
    for name, convertor in _PATH_PARAM.findall(path):
        schema: dict[str, Any] = (
            {"type": "integer", "minimum": 1, "maximum": MAX_DB_ID}
            if convertor == "int"
            else {"type": "string", "maxLength": 200}
        )
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return parameters


def _query_parameters(model: type[BaseModel] | None) -> list[dict[str, Any]]:
    if model is None:
        return []
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    parameters = []
    for name, field_schema in schema.get("properties", {}).items():
        field_schema = dict(field_schema)
        description = field_schema.pop("description", None)
        field_schema.pop("title", None)
        parameter = {"name": name, "in": "query", "required": name in required, "schema": field_schema}
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _error_statuses(endpoint: Endpoint) -> set[int]:
    statuses = set(endpoint.errors) | {500, 503}
    if endpoint.auth in {"user", "admin", "cron"}:
        statuses.add(Unauthorized.status)
    if endpoint.auth == "optional":
        statuses.add(Unauthorized.status)  # a bad token is refused even where none is needed
    if endpoint.auth == "admin":
        statuses.add(Forbidden.status)
    if _PATH_PARAM.search(endpoint.path):
        statuses.add(NotFound.status)
    if endpoint.body is not None:
        statuses |= {BadRequest.status, PayloadTooLarge.status, 422}
    if endpoint.query is not None:
        statuses.add(422)
    if endpoint.idempotent:
        statuses |= {409, 422}  # a reused key with another request; a malformed key
    return statuses


IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Makes a retry safe: the same key with the same request replays the first response (status and "
        "body, with `Idempotent-Replayed: true`) for 24 hours; with another request it is a 409 "
        "`idempotency_conflict`."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": (
        "ETags of copies the client holds: a match (weak comparison, `*` included) answers `304` with no "
        "body. Only requests without `Authorization` get ETags and `304`s."
    ),
    "schema": {"type": "string"},
}
CDN_HEADERS = {
    "ETag": {
        "description": "A strong ETag of the body (anonymous requests only)",
        "schema": {"type": "string"},
    },
    "Cache-Control": {
        "description": f"`{caching.PUBLIC}` without `Authorization`; `{caching.PRIVATE}` with it",
        "schema": {"type": "string"},
    },
    "Vary": {"description": f"`{caching.VARY}` (anonymous requests only)", "schema": {"type": "string"}},
}


def build_document(
    endpoints: list[Endpoint], *, title: str = "Launchpad API", version: str = "1.0.0"
) -> dict[str, Any]:
    """OpenAPI 3.1 for `endpoints`: paths, parameters with limits, bodies, responses, errors, security."""
    models: list[tuple[type[BaseModel], Any]] = []
    for endpoint in endpoints:
        if endpoint.body is not None:
            models.append((endpoint.body, "validation"))
        returned = endpoint.response_model
        if isinstance(returned, type) and issubclass(returned, BaseModel):
            models.append((returned, "serialization"))
    keys, definitions = models_json_schema(models, ref_template=REF) if models else ({}, {"$defs": {}})
    schemas: dict[str, Any] = dict(definitions.get("$defs", {}))
    schemas["Error"] = ERROR_SCHEMA

    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        cdn_cached = caching.is_cdn_cached(endpoint.handler)
        operation: dict[str, Any] = {
            "operationId": endpoint.handler.__name__,
            "summary": endpoint.summary or endpoint.handler.__name__.replace("_", " "),
            "tags": [endpoint.path.split("/")[2]],
            "parameters": _path_parameters(endpoint.path)
            + _query_parameters(endpoint.query)
            + ([IDEMPOTENCY_KEY] if endpoint.idempotent else [])
            + ([IF_NONE_MATCH] if cdn_cached else []),
            "responses": {},
        }
        if endpoint.auth in {"user", "admin"}:
            operation["security"] = [{"bearerAuth": []}]
        elif endpoint.auth == "optional":
            operation["security"] = [{}, {"bearerAuth": []}]
        elif endpoint.auth == "cron":
            operation["security"] = [{"cronSecret": []}]
        else:
            operation["security"] = []
        if endpoint.body is not None:
            body_ref = keys[(endpoint.body, "validation")]
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": body_ref}},
            }
        success: dict[str, Any] = {"description": STATUS_TEXT.get(endpoint.status, "OK")}
        if endpoint.status != 204:
            returned = endpoint.response_model
            if isinstance(returned, type) and issubclass(returned, BaseModel):
                schema = keys[(returned, "serialization")]
            elif returned is not None:
                schema = returned
            else:
                schema = {}
            success["content"] = {endpoint.media_type: {"schema": schema}}
        operation["responses"][str(endpoint.status)] = success
        if cdn_cached:
            success["headers"] = CDN_HEADERS
            operation["responses"]["304"] = {"description": STATUS_TEXT[304], "headers": CDN_HEADERS}
        for status in sorted(_error_statuses(endpoint)):
            response: dict[str, Any] = {
                "description": STATUS_TEXT.get(status, "Error"),
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
            if status in {429, 503}:
                response["headers"] = {"Retry-After": {"schema": {"type": "string"}}}
            operation["responses"][str(status)] = response
        paths.setdefault(openapi_path(endpoint.path), {})[endpoint.method.lower()] = operation

    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": (
                "Backend of a student project marketplace. Every error uses the `Error` shape. "
                "Unknown query parameters are ignored; one sent more than once takes its last value."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "cronSecret": {"type": "http", "scheme": "bearer", "description": "CRON_SECRET"},
            },
        },
    }
