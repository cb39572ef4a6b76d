"""create_app(endpoints): each function's Starlette app, its route table, middleware and errors."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ValidationError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lib.config import get_settings
from lib.errors import (
    AppError,
    BadRequest,
    InternalError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    ValidationFailed,
    error_response,
    validation_details,
)
from lib.log import bind_request, current_request_id, get_logger, new_request_id

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from lib.models.users import User

log = get_logger("web")

MAX_BODY_BYTES = 1024 * 1024
MAX_DB_INT = 2**63 - 1
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
)

Auth = Literal["public", "optional", "user", "admin", "cron"]
Handler = Callable[["Call"], Awaitable[Any]]


@dataclass
class Call:
    """What a handler gets: the request, its transaction, the caller, and the parsed input."""

    request: Request
    db: AsyncSession
    user: User | None
    params: dict[str, Any]
    query: Any = None
    body: Any = None
    # Who acted (the caller; login sets it) and what was touched, for the activity row.
    actor_id: int | None = None
    entity_id: Any = None
    details: dict[str, Any] | None = None

    @property
    def me(self) -> User:
        """The authenticated caller (only on endpoints that require a user)."""
        assert self.user is not None, "endpoint does not require authentication"
        return self.user


@dataclass(frozen=True)
class Endpoint:
    """One row of a function's route table; also the source of the OpenAPI document."""

    method: str
    path: str
    handler: Handler
    auth: Auth = "user"
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: Any = None
    status: int = 200
    entity: str | None = None
    errors: tuple[int, ...] = field(default=())
    summary: str = ""
    media_type: str = "application/json"
    database: bool = True  # False: the handler needs no transaction (and works without a database)
    # False for a write whose handler issues exactly one writing statement: PostgreSQL makes that
    # statement atomic by itself, so BEGIN/COMMIT (two round trips) would buy nothing.
    transaction: bool = True

    @property
    def action(self) -> str:
        """The activity-log action name: the handler's name (`create_project`, `login`)."""
        return self.handler.__name__

    @property
    def is_write(self) -> bool:
        return self.method in {"POST", "PATCH", "PUT", "DELETE"}


def get(path: str, handler: Handler, **kw: Any) -> Endpoint:
    return Endpoint("GET", path, handler, **kw)


def post(path: str, handler: Handler, **kw: Any) -> Endpoint:
    return Endpoint("POST", path, handler, status=kw.pop("status", 201), **kw)


def patch(path: str, handler: Handler, **kw: Any) -> Endpoint:
    return Endpoint("PATCH", path, handler, **kw)


def delete(path: str, handler: Handler, **kw: Any) -> Endpoint:
    return Endpoint("DELETE", path, handler, status=kw.pop("status", 204), **kw)


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


def client_ip(request: Request) -> str | None:
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded:
        return forwarded.split(",")[0].strip()[:64] or None
    real_ip = request.headers.get("x-real-ip")
    if real_ip:
        return real_ip.strip()[:64]
    return request.client.host if request.client else None


def request_metadata(request: Request, started: float) -> dict[str, Any]:
    """What the activity log records about the request itself."""
    return {
        "ip_address": client_ip(request),
        "user_agent": (request.headers.get("user-agent") or "")[:500] or None,
        "method": request.method,
        "path": request.url.path[:500],
        "duration_ms": int((time.perf_counter() - started) * 1000),
        "request_id": current_request_id(),
    }


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


class RequestContextMiddleware:
    """Outermost layer: request id, body limit, security headers, access log, last-resort 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = new_request_id(headers.get(b"x-vercel-id", b"").decode("latin-1") or None)
        bind_request(request_id)
        started = time.perf_counter()
        status_holder = {"status": 500, "started": False}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                extra = [(b"x-request-id", request_id.encode("latin-1"))]
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra += [item for item in SECURITY_HEADERS if item[0] not in present]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        scope.setdefault("state", {})
        try:
            declared = int(headers.get(b"content-length", b"0") or 0)
        except ValueError:
            declared = 0
        try:
            if declared > MAX_BODY_BYTES:
                await error_response(PayloadTooLarge())(scope, receive, send_with_headers)
            else:
                await self.app(scope, _limited(receive), send_with_headers)
        except Exception:
            if not status_holder["started"]:
                await error_response(InternalError())(scope, receive, send_with_headers)
        finally:
            log.info(
                "request",
                method=scope.get("method"),
                path=scope.get("path"),
                status=status_holder["status"],
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )
        status = int(status_holder["status"])
        if status >= 400 and status != 503 and not scope["state"].get("activity_recorded"):
            await _record_unrouted_error(scope, status, started)


async def _record_unrouted_error(scope: Scope, status: int, started: float) -> None:
    """Errors no endpoint saw (unknown path, wrong method, oversized body) are logged too."""
    from lib import activity

    request = Request(scope)
    action = {404: "route_not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(
        status, "http_error"
    )
    await activity.record(
        user_id=None,
        action=action,
        status="error" if status >= 500 else "failed",
        error_message=f"HTTP {status}",
        **request_metadata(request, started),
    )


def _limited(receive: Receive) -> Receive:
    """Wrap `receive` so a streamed body over the limit raises 413 instead of filling memory."""
    seen = 0

    async def limited() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > MAX_BODY_BYTES:
                raise PayloadTooLarge()
        return message

    return limited


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
