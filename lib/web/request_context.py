"""The outermost layer of every function: request id, body limit, security headers, access log, errors."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lib.core import config
from lib.core.errors import PayloadTooLarge
from lib.core.log import bind_request, get_logger, new_request_id
from lib.web.failures import classify, record_failure
from lib.web.responses import error_response

log = get_logger("web")

MAX_BODY_BYTES = 1024 * 1024
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"private, no-store"),
)


class RequestContextMiddleware:
    """Outermost layer: request id, body limit, security headers, access log, and every error.

    Whatever fails below (a handler, validation, the router's 404/405, the body limit) arrives
    here as an exception and leaves as the one error shape, after its activity row is written:
    a function may be frozen as soon as its response is out.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        # Only Vercel's edge sets x-vercel-id (replacing what a client sent); anywhere else it is
        # client text, which must not become the id echoed back and stored in activity rows.
        vercel_id = headers.get(b"x-vercel-id", b"") if config.get_settings().on_vercel else b""
        request_id = new_request_id(vercel_id.decode("latin-1") or None)
        bind_request(request_id)
        started = time.perf_counter()
        response_status = 500
        response_started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal response_status, response_started
            if message["type"] == "http.response.start":
                response_status, response_started = message["status"], True
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
                raise PayloadTooLarge()
            await self.app(scope, _limited(receive), send_with_headers)
        except Exception as raw_error:
            error = classify(raw_error, scope)
            if response_started:
                return  # too late to answer; classify() has logged it
            await record_failure(scope, error, started)
            await error_response(error)(scope, receive, send_with_headers)
        finally:
            log.info(
                "request",
                method=scope.get("method"),
                path=scope.get("path"),
                status=response_status,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
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
