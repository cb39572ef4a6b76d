"""The outermost layer of every function: request id, body limit, security headers, access log."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lib.errors import InternalError, PayloadTooLarge, error_response
from lib.log import bind_request, current_request_id, get_logger, new_request_id

log = get_logger("web")

MAX_BODY_BYTES = 1024 * 1024
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
)


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
