"""Call an ASGI app in-process with one HTTP request (stdlib only: cold starts import nothing extra)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


async def call(
    app: ASGIApp,
    method: str,
    url: str,
    *,
    token: str | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    """Send one request through `app` as a server would; return the status and the body."""
    parts = urlsplit(url)
    raw_body = b"" if body is None else json.dumps(body).encode()
    header_list = [(b"host", b"127.0.0.1"), (b"user-agent", b"launchpad-bench/1.0")]
    if token:
        header_list.append((b"authorization", f"Bearer {token}".encode()))
    if body is not None:
        header_list += [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(raw_body)).encode()),
        ]
    for name, value in (headers or {}).items():
        header_list.append((name.lower().encode(), value.encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": parts.path,
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "root_path": "",
        "headers": header_list,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": raw_body, "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)
