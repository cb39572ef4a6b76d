"""What a request says about itself: the client's address and the activity row's request fields."""

from __future__ import annotations

import ipaddress
import time
from typing import Any

from starlette.requests import Request

from lib.core import config
from lib.core.log import current_request_id


def client_ip(request: Request) -> str | None:
    """The client's address from the position the platform vouches for, or None if it is no address.

    The leftmost X-Forwarded-For entry is whatever the client wrote wherever a proxy appends to the
    header (load balancers, API Gateway, nginx), so it is never taken as it stands:
    - on Vercel the edge sets `x-real-ip` (and `x-forwarded-for`) itself, replacing what was sent;
    - behind TRUSTED_PROXY_HOPS proxies that each append the address they saw, the client is that
      many entries from the right (fewer entries: the request bypassed them, use the peer);
    - otherwise (make dev, API Gateway's event through Mangum) the connection's peer.
    """
    settings = config.get_settings()  # through the module, so tests can swap the settings
    candidate: str | None = None
    if settings.on_vercel:
        forwarded = request.headers.get("x-forwarded-for", "")
        candidate = request.headers.get("x-real-ip") or forwarded.split(",")[0]
    elif settings.trusted_proxy_hops:
        entries = ",".join(request.headers.getlist("x-forwarded-for")).split(",")
        entries = [entry for entry in (e.strip() for e in entries) if entry]
        if len(entries) >= settings.trusted_proxy_hops:
            candidate = entries[-settings.trusted_proxy_hops]
    if not candidate and request.client:
        candidate = request.client.host
    return _address(candidate)


def _address(text: str | None) -> str | None:
    """`text` as a canonical IP address; anything else (a name, garbage, 64 KiB of digits) is None."""
    try:
        return str(ipaddress.ip_address((text or "").strip()[:64]))
    except ValueError:
        return None


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
