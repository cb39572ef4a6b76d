"""The catalogue's CDN caching: public ETag'd answers for anonymous callers, 304s, private with a token."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from lib.schemas.plans import PlanQuery
from lib.web import caching
from lib.web.endpoints import Call, get
from tests.functions.plans_support import create_plan
from tests.functions.services_support import create_service

PUBLIC = "public, max-age=0, s-maxage=60, stale-while-revalidate=600"


def assert_public(response: httpx.Response) -> str:
    assert response.headers["cache-control"] == PUBLIC
    assert response.headers["vary"] == "Authorization"
    etag = response.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) == 34
    return etag


def assert_not_modified(response: httpx.Response, etag: str) -> None:
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag
    assert response.headers["cache-control"] == PUBLIC
    assert response.headers["vary"] == "Authorization"
    assert "content-type" not in response.headers
    assert "content-length" not in response.headers


@pytest.fixture
async def catalogue(client: httpx.AsyncClient, admin: Any) -> dict[str, Any]:
    plan = await create_plan(client, admin, name="Basic")
    hidden = await create_plan(client, admin, name="Retired", is_active=False)
    service = await create_service(client, admin, name="Review")
    return {"plan": plan, "hidden": hidden, "service": service}


@pytest.mark.parametrize(
    "path",
    ["/api/plans", "/api/plans/{plan}", "/api/services", "/api/services/{service}", "/api/openapi.json"],
)
async def test_anonymous_get_is_public_with_an_etag_and_a_304_while_unchanged(
    client: httpx.AsyncClient, catalogue: dict[str, Any], path: str
) -> None:
    url = path.format(plan=catalogue["plan"]["id"], service=catalogue["service"]["id"])
    first = await client.get(url)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "application/json"
    etag = assert_public(first)
    assert etag == caching.etag(first.content)  # over the exact bytes sent

    again = await client.get(url, headers={"If-None-Match": etag})
    assert_not_modified(again, etag)
    # Every anonymous caller gets the same answer, so the CDN may hand it to all of them.
    assert (await client.get(url)).content == first.content


async def test_docs_page_is_public_and_keeps_its_content_security_policy(client: httpx.AsyncClient) -> None:
    page = await client.get("/api/docs")
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    etag = assert_public(page)
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert_not_modified(await client.get("/api/docs", headers={"If-None-Match": etag}), etag)


async def test_a_changed_plan_changes_the_etag_and_a_stale_one_gets_the_new_body(
    client: httpx.AsyncClient, admin: Any, catalogue: dict[str, Any]
) -> None:
    plan_id = catalogue["plan"]["id"]
    urls = ["/api/plans", f"/api/plans/{plan_id}"]
    before = {url: await client.get(url) for url in urls}
    patched = await client.patch(f"/api/plans/{plan_id}", json={"price_cents": 12_345}, headers=admin.headers)
    assert patched.status_code == 200, patched.text
    assert patched.headers["cache-control"] == "private, no-store" and "etag" not in patched.headers
    for url, old in before.items():
        stale = old.headers["etag"]
        fresh = await client.get(url, headers={"If-None-Match": stale})
        assert fresh.status_code == 200, fresh.text
        assert assert_public(fresh) != stale
        assert fresh.content != old.content and b"12345" in fresh.content


async def test_with_authorization_the_same_url_is_private(
    client: httpx.AsyncClient, alice: Any, admin: Any, catalogue: dict[str, Any]
) -> None:
    anonymous = await client.get("/api/plans?include_inactive=true")
    etag = assert_public(anonymous)
    assert [item["name"] for item in anonymous.json()["items"]] == ["Basic"]
    for caller in (alice, admin):
        response = await client.get(
            "/api/plans?include_inactive=true", headers={**caller.headers, "If-None-Match": etag}
        )
        # A held ETag is no 304 for a caller with a token: their answer is their own, never stored.
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "private, no-store"
        assert "etag" not in response.headers and "vary" not in response.headers
    admin_view = await client.get("/api/plans?include_inactive=true", headers=admin.headers)
    assert [item["name"] for item in admin_view.json()["items"]] == ["Retired", "Basic"]
    hidden = await client.get(f"/api/plans/{catalogue['hidden']['id']}", headers=admin.headers)
    assert hidden.status_code == 200 and hidden.headers["cache-control"] == "private, no-store"


async def test_any_authorization_header_makes_it_private(client: httpx.AsyncClient) -> None:
    """Even one that is not a bearer token (so the caller is anonymous): the CDN keys on the header."""
    response = await client.get("/api/openapi.json", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store" and "etag" not in response.headers


@pytest.mark.parametrize(
    "if_none_match",
    [
        "{etag}",
        "W/{etag}",
        '"other", {etag}',
        '"other",W/{etag} , "more"',
        " , {etag},",
        "*",
    ],
)
async def test_if_none_match_forms_that_match(
    client: httpx.AsyncClient, catalogue: dict[str, Any], if_none_match: str
) -> None:
    etag = assert_public(await client.get("/api/services"))
    response = await client.get("/api/services", headers={"If-None-Match": if_none_match.format(etag=etag)})
    assert_not_modified(response, etag)


@pytest.mark.parametrize(
    "if_none_match",
    ['"other"', 'W/"other", "more"', "{bare}", "{etag}x", "W/{bare}", '{etag} "glued"'],
)
async def test_if_none_match_forms_that_do_not_match(
    client: httpx.AsyncClient, catalogue: dict[str, Any], if_none_match: str
) -> None:
    first = await client.get("/api/services")
    etag = assert_public(first)
    header = if_none_match.format(etag=etag, bare=etag.strip('"'))
    response = await client.get("/api/services", headers={"If-None-Match": header})
    assert response.status_code == 200 and response.content == first.content
    assert response.headers["etag"] == etag


async def test_errors_are_never_public(client: httpx.AsyncClient, catalogue: dict[str, Any]) -> None:
    missing = await client.get(f"/api/plans/{catalogue['hidden']['id']}")  # inactive: not found anonymously
    invalid = await client.get("/api/services?limit=0")
    bad_token = await client.get("/api/plans", headers={"Authorization": "Bearer not-a-token"})
    for response, status in ((missing, 404), (invalid, 422), (bad_token, 401)):
        assert response.status_code == status, response.text
        assert response.headers["cache-control"] == "private, no-store"
        assert "etag" not in response.headers


def test_none_match_follows_rfc_9110() -> None:
    tag = caching.etag(b"body")
    assert caching.etag(b"body") == tag != caching.etag(b"body ")
    assert caching.none_match(tag, tag) and caching.none_match(f"W/{tag}", tag)
    assert caching.none_match(tag, f"W/{tag}")  # weak comparison: either side may be weak
    assert caching.none_match(f'"a,b", {tag}', tag)  # a comma inside a tag is no separator
    assert not caching.none_match('"a,b"', '"a"')
    assert not caching.none_match("", tag) and not caching.none_match("**", tag)


async def test_the_openapi_document_lists_the_304_of_exactly_the_cached_gets(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/api/openapi.json")).json()
    cached = {
        "/api/plans",
        "/api/plans/{id}",
        "/api/services",
        "/api/services/{id}",
        "/api/openapi.json",
        "/api/docs",
    }
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            is_cached = method == "get" and path in cached
            assert ("304" in operation["responses"]) is is_cached, (method, path)
            headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
            assert ("If-None-Match" in headers) is is_cached, (method, path)
            if is_cached:
                assert set(operation["responses"]["200"]["headers"]) == {"ETag", "Cache-Control", "Vary"}
                assert "content" not in operation["responses"]["304"]


def test_a_cdn_cached_handler_keeps_its_route_rows_input_models() -> None:
    """This module's annotations are strings (`from __future__ import annotations`), as a handler's may be:
    they name this module's imports, which the wrapper (defined in lib/web/caching.py) does not have."""

    async def list_things(call: Call[None, PlanQuery]) -> None:
        return None

    endpoint = get("/api/things", caching.cdn_cached(list_things), auth="optional")
    assert (endpoint.body, endpoint.query, endpoint.action) == (None, PlanQuery, "list_things")
    assert caching.is_cdn_cached(endpoint.handler) and not caching.is_cdn_cached(list_things)
