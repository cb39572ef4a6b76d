"""No shared cache may store a caller's answer: every route of every function, by every kind of caller.

The walk reuses the authorization matrix (every route, its seeded world and the status each caller
gets), so a new route is walked here as soon as it has its authorization row.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.system.test_authorization import MATRIX, send_cell, world

# The contract's list (docs/API.md, "Caching"): the only answers a CDN may keep, and only anonymous ones.
CDN_CACHED = {
    "GET /api/plans",
    "GET /api/plans/{id}",
    "GET /api/services",
    "GET /api/services/{id}",
    "GET /api/openapi.json",
    "GET /api/docs",
}
PUBLIC = "public, max-age=0, s-maxage=60, stale-while-revalidate=600"
__all__ = ["world"]  # the authorization test's fixture, used here


def shared_cacheable(cache_control: str) -> bool:
    """Whether a shared cache may store a response with this Cache-Control (RFC 9111 section 3)."""
    directives = {part.strip().split("=")[0].lower() for part in cache_control.split(",")}
    if directives & {"no-store", "private"}:
        return False
    return bool(directives & {"public", "s-maxage", "max-age"})


def test_the_cdn_cached_routes_are_the_contracts() -> None:
    from api.openapi import all_endpoints
    from lib.web.caching import is_cdn_cached
    from lib.web.openapi import openapi_path

    marked = {f"{e.method} {openapi_path(e.path)}" for e in all_endpoints() if is_cdn_cached(e.handler)}
    assert marked == CDN_CACHED


@pytest.mark.parametrize("actor", ("anonymous", "owner", "admin"))
@pytest.mark.parametrize("route", sorted(MATRIX))
async def test_no_answer_with_a_token_is_cacheable(
    client: httpx.AsyncClient, world: dict[str, Any], route: str, actor: str, request: pytest.FixtureRequest
) -> None:
    response, expected = await send_cell(client, world, route, actor, request)
    # The request got as far as the matrix says (a valid token reached the handler), whatever its status.
    assert response.status_code == expected, response.text
    cache_control = response.headers["cache-control"]
    if actor == "anonymous" and route in CDN_CACHED:
        assert cache_control == PUBLIC and response.headers["vary"] == "Authorization"
        assert response.headers["etag"]
    else:
        assert cache_control == "private, no-store", (route, actor, cache_control)
        assert not shared_cacheable(cache_control)
        assert "etag" not in response.headers or route == "GET /api/notifications/unread-count"


def test_shared_cacheable_reads_cache_control() -> None:
    assert shared_cacheable(PUBLIC) and shared_cacheable("s-maxage=5")
    assert not shared_cacheable("private, no-store") and not shared_cacheable("public, no-store")
    assert not shared_cacheable("private, max-age=60") and not shared_cacheable("no-cache")
