"""Request bodies in and responses out: JSON parsing, model validation, the one error shape."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from lib.core.errors import AppError, BadRequest, ValidationFailed
from lib.core.log import current_request_id


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Serialise a pydantic model, or plain JSON data, as the response body."""
    if status == 204:
        return Response(status_code=204, headers=headers)
    if isinstance(payload, BaseModel):
        content = payload.model_dump_json().encode()
    else:
        content = json.dumps(payload, ensure_ascii=False, default=str).encode()
    return Response(content, status_code=status, headers=headers, media_type="application/json")


def error_body(error: AppError) -> dict[str, Any]:
    """The API's one error shape."""
    return {
        "error": {
            "code": error.code,
            "message": error.message,
            "details": error.details,
            "request_id": current_request_id(),
        }
    }


def error_response(error: AppError) -> Response:
    """Render `error` as the JSON error response (headers included)."""
    return Response(
        json.dumps(error_body(error), ensure_ascii=False, default=str),
        status_code=error.status,
        headers=error.headers,
        media_type="application/json",
    )


def validation_details(errors: list[Any]) -> list[dict[str, Any]]:
    """Pydantic errors reduced to `{loc, msg, type}` (never echoing the rejected input)."""
    return [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in errors
    ]


def parse_model(model: type[BaseModel], data: Any, where: str) -> Any:
    """Validate `data` against `model`; a failure is a 422 whose details name each field."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        details = validation_details(error.errors(include_url=False, include_input=False))
        for item in details:
            item["loc"] = [where, *item["loc"]]
        raise ValidationFailed(details=details) from None


async def read_json(request: Request) -> Any:
    """The request body as JSON: 400 for a wrong content type or malformed JSON."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise BadRequest("Content-Type must be application/json")
    raw = await request.body()
    try:
        # Decoded as UTF-8 first: `json.loads(bytes)` would also guess UTF-16/32 (RFC 8259: UTF-8 only).
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadRequest("Request body is not valid JSON") from None
