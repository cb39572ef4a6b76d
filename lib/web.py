"""create_app(endpoints): a function's Starlette app, running each route row with auth and errors."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from lib.config import get_settings
from lib.endpoints import Auth, Call, Endpoint, Handler, delete, get, patch, post
from lib.errors import (
    AppError,
    BadRequest,
    InternalError,
    MethodNotAllowed,
    NotFound,
    ServiceUnavailable,
    ValidationFailed,
    error_response,
    validation_details,
)
from lib.log import get_logger
from lib.request_context import RequestContextMiddleware, client_ip, request_metadata

if TYPE_CHECKING:
    pass

log = get_logger("web")

# What a function module imports from here: its route-table vocabulary and the app factory.
__all__ = [
    "Auth",
    "Call",
    "Endpoint",
    "Handler",
    "client_ip",
    "create_app",
    "delete",
    "get",
    "json_response",
    "lambda_handler",
    "patch",
    "post",
    "read_json",
]

MAX_DB_INT = 2**63 - 1


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Serialise a pydantic model, or plain JSON data, as the response body."""
    if status == 204:
        return Response(status_code=204, headers=headers)
    if isinstance(payload, BaseModel):
        content = payload.model_dump_json().encode()
    else:
        content = json.dumps(payload, ensure_ascii=False, default=str).encode()
    return Response(content, status_code=status, headers=headers, media_type="application/json")


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


def _path_params(request: Request) -> dict[str, Any]:
    params = dict(request.path_params)
    for name, value in params.items():
        # An id no row can have is simply not found (and must not overflow bigint in SQL).
        if isinstance(value, int) and not 0 < value <= MAX_DB_INT:
            raise NotFound(f"No {name} {value}")
    return params


def _as_app_error(error: Exception) -> AppError:
    if isinstance(error, AppError):
        return error
    from lib.db import is_database_unavailable

    if is_database_unavailable(error):
        return ServiceUnavailable()
    return InternalError()


async def _record_failure(
    endpoint: Endpoint, call: Call | None, request: Request, error: AppError, started: float
) -> None:
    """After the rollback, in its own transaction: the failed request's activity row."""
    request.state.activity_recorded = True
    if isinstance(error, ServiceUnavailable):
        return  # nowhere to write it; the structured log carries it
    from lib import activity

    await activity.record(
        user_id=call.actor_id if call else None,
        action=endpoint.action,
        entity_type=endpoint.entity,
        entity_id=(call.entity_id if call and call.entity_id is not None else request.path_params.get("id")),
        details=call.details if call else None,
        status="error" if error.status >= 500 else "failed",
        error_message=error.message,
        **request_metadata(request, started),
    )


def _route(endpoint: Endpoint) -> Route:
    async def run(request: Request) -> Response:
        from lib.db import session

        started = time.perf_counter()
        call: Call | None = None
        try:
            params = _path_params(request)
            if not endpoint.database:
                result = await endpoint.handler(Call(request=request, db=None, user=None, params=params))  # type: ignore[arg-type]
                return result if isinstance(result, Response) else json_response(result, endpoint.status)
            # Reads and single-statement writes run without BEGIN/COMMIT; other writes are one transaction.
            async with session(autocommit=not (endpoint.is_write and endpoint.transaction)) as db:
                user = None
                if endpoint.auth != "public":
                    from lib import auth  # only functions with private routes pay for it

                    user = await auth.authenticate(db, request, endpoint.auth)
                call = Call(
                    request=request, db=db, user=user, params=params, actor_id=user.id if user else None
                )
                if endpoint.query is not None:
                    call.query = parse_model(endpoint.query, dict(request.query_params), "query")
                if endpoint.body is not None:
                    call.body = parse_model(endpoint.body, await read_json(request), "body")
                result = await endpoint.handler(call)
            if endpoint.is_write:
                from lib import activity

                # After the commit, on its own: a log row that fails never fails the write.
                await activity.record(
                    user_id=call.actor_id,
                    action=endpoint.action,
                    entity_type=endpoint.entity,
                    entity_id=call.entity_id if call.entity_id is not None else params.get("id"),
                    details=call.details,
                    **request_metadata(request, started),
                )
        except Exception as raw_error:
            error = _as_app_error(raw_error)
            if isinstance(error, InternalError) and error is not raw_error:
                log.error("unhandled_error", exc_info=raw_error)
            elif isinstance(error, ServiceUnavailable):
                log.warning("database_unavailable", error=type(raw_error).__name__)
            await _record_failure(endpoint, call, request, error, started)
            raise error from None
        if isinstance(result, Response):
            return result
        return json_response(result, endpoint.status)

    run.__name__ = endpoint.handler.__name__
    return Route(endpoint.path, run, methods=[endpoint.method], name=endpoint.handler.__name__)


class FunctionApp(Starlette):
    """Starlette with the request context wrapped around its whole middleware stack."""

    def build_middleware_stack(self) -> ASGIApp:
        return RequestContextMiddleware(super().build_middleware_stack())


async def _app_error_handler(request: Request, error: Exception) -> Response:
    assert isinstance(error, AppError)
    return error_response(error)


async def _http_error_handler(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if error.status_code == 404:
        return error_response(NotFound(f"No route for {request.method} {request.url.path}"))
    if error.status_code == 405:
        return error_response(MethodNotAllowed(f"{request.method} is not allowed on {request.url.path}"))
    generic = AppError(error.detail if isinstance(error.detail, str) else None)
    generic.status, generic.code = (
        error.status_code,
        "bad_request" if error.status_code < 500 else "internal_error",
    )
    return error_response(generic)


async def _unhandled_error_handler(request: Request, error: Exception) -> Response:
    from lib.db import is_database_unavailable

    if is_database_unavailable(error):
        log.warning("database_unavailable", error=type(error).__name__)
        return error_response(ServiceUnavailable())
    log.error("unhandled_error", exc_info=error)
    return error_response(InternalError())


def create_app(endpoints: list[Endpoint]) -> Starlette:
    """The ASGI app of one function: its route table plus shared middleware and error handling."""
    settings = get_settings()
    middleware = []
    if settings.frontend_url:
        from starlette.middleware import Middleware
        from starlette.middleware.cors import CORSMiddleware

        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=[o.strip() for o in settings.frontend_url.split(",")],
                allow_methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
                allow_headers=["Authorization", "Content-Type"],
                expose_headers=["x-request-id", "Retry-After"],
                max_age=600,
            )
        )
    app = FunctionApp(
        routes=[_route(endpoint) for endpoint in endpoints],
        middleware=middleware,
        exception_handlers={
            AppError: _app_error_handler,
            HTTPException: _http_error_handler,
            Exception: _unhandled_error_handler,
        },
    )
    app.state.endpoints = endpoints
    return app


def lambda_handler(app: Starlette) -> Callable[[str], Any]:
    """A module `__getattr__` that builds `handler` (Mangum, for AWS Lambda) on first access.

    Vercel runs `app` and never touches `handler`, so its cold start never imports Mangum;
    AWS Lambda resolves `module.handler` through this hook.
    """
    built: dict[str, Any] = {}

    def module_getattr(name: str) -> Any:
        if name != "handler":
            raise AttributeError(name)
        if "handler" not in built:
            from mangum import Mangum

            built["handler"] = Mangum(app, lifespan="off")
        return built["handler"]

    return module_getattr
