"""What a request says about itself: the client's address and the activity row's request fields."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request

from lib.core.log import current_request_id


def client_ip(request: Request) -> str | None:
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded:
        return forwarded.split(",")[0].strip()[:64] or None
    real_ip = request.headers.get("x-real-ip")
    if real_ip:
        return real_ip.strip()[:64]
    return request.client.host if request.client else None


def request_metadata(request: Request, started: float) -> dict[str, Any]:
    """What the activity log records about the request itself (no client, after `Call.forget_client`)."""
    forget = getattr(request.state, "forget_client", False)
    return {
        "ip_address": None if forget else client_ip(request),
        "user_agent": None if forget else (request.headers.get("user-agent") or "")[:500] or None,
        "method": request.method,
        "path": request.url.path[:500],
        "duration_ms": int((time.perf_counter() - started) * 1000),
        "request_id": current_request_id(),
    }
