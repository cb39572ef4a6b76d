"""HTTP caching headers: strong ETags, If-None-Match, and the public (CDN) or private answer of a route."""

from __future__ import annotations

import functools
import hashlib
import inspect
import re
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

# Browsers revalidate every use (max-age=0); a shared cache (Vercel's CDN) keeps the answer fresh for
# 60 s, then serves it stale for up to 10 more minutes while one request refreshes it in the background.
PUBLIC = "public, max-age=0, s-maxage=60, stale-while-revalidate=600"
PRIVATE = "private, no-store"
# The public answer is the anonymous one, and an admin's differs (inactive items). RFC 9111 section 3.5
# lets a shared cache reuse a `public`/`s-maxage` response for a request with Authorization, and a
# cache picks a stored response only for requests whose `Vary` headers match (section 4.1); Vercel's
# CDN honours Vary (https://vercel.com/docs/caching/cdn-cache: the CDN cache is no fit for "user-specific
# content without the Vary header"), and requests with Authorization have been seen to BYPASS it
# (https://github.com/vercel/vercel/discussions/7713), which Vary makes a guarantee instead of an
# observation: a request with a token never matches the stored anonymous variant, reaches the
# function, and gets private, no-store, never stored. So one variant per URL is cached. Vary names no
# Cookie: the API reads none, and Vercel's CDN stores no response varying on it
# (https://vercel.com/changelog/vary-cookie-responses-no-longer-cached). A function's Cache-Control
# overrides vercel.json's `private, no-store` for the same path (the same CDN cache page).
VARY = "Authorization"

# One member of If-None-Match (RFC 9110 section 13.1.2): `*` or an entity-tag, optionally weak
# (`W/`), with optional whitespace around it; empty list elements are allowed.
_MEMBER = re.compile(r'[ \t]*(?:(\*)|(?:W/)?("[\x21\x23-\x7e\x80-\xff]*"))?[ \t]*(?:,|$)')

Handler = Callable[..., Awaitable[Any]]
_CDN_CACHED: set[Handler] = set()


def etag(body: bytes) -> str:
    """A strong entity-tag of exactly these bytes: a quoted 128-bit BLAKE2b digest."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def none_match(if_none_match: str, tag: str) -> bool:
    """Whether an If-None-Match value matches `tag`: RFC 9110's weak comparison, `*` included.

    A value that is not a valid list matches nothing (the full answer is always safe to send).
    """
    opaque = tag.removeprefix("W/")
    position, found = 0, False
    while position < len(if_none_match):
        member = _MEMBER.match(if_none_match, position)
        if member is None or member.end() == position:
            return False
        star, candidate = member.groups()
        found = found or star is not None or candidate == opaque
        position = member.end()
    return found


def anonymous(request: Request) -> bool:
    """No credentials of any kind: the answer may be the one every anonymous caller gets."""
    return "authorization" not in request.headers


def cacheable(
    request: Request, body: bytes, media_type: str, headers: dict[str, str] | None = None
) -> Response:
    """`body` as a 200: public with its ETag (304 when If-None-Match matches it) when anonymous, else private.

    The 304 has no body and no content headers, and the same ETag, Cache-Control and Vary as the 200.
    """
    if not anonymous(request):
        return Response(body, media_type=media_type, headers={**(headers or {}), "Cache-Control": PRIVATE})
    tag = etag(body)
    validators = {"ETag": tag, "Cache-Control": PUBLIC, "Vary": VARY}
    # Several If-None-Match fields are one list (RFC 9110 section 5.3).
    if_none_match = ", ".join(request.headers.getlist("if-none-match"))
    if if_none_match and none_match(if_none_match, tag):
        return Response(status_code=304, headers=validators)
    return Response(body, media_type=media_type, headers={**(headers or {}), **validators})


def cdn_cached(handler: Handler) -> Handler:
    """A GET handler whose answer goes through `cacheable`; it returns a model or a Response.

    The route row still reads the handler's `Call[Body, Query]` (the signature is the handler's own),
    and the OpenAPI document lists the route's ETag, Cache-Control, Vary and 304 (`is_cdn_cached`).
    """

    @functools.wraps(handler)
    async def answer(call: Any) -> Response:
        result = await handler(call)
        if isinstance(result, BaseModel):
            return cacheable(call.request, result.model_dump_json().encode(), "application/json")
        if not isinstance(result, Response) or result.media_type is None:
            raise TypeError(f"{handler.__name__}: a CDN-cached handler returns a model or a typed Response")
        kept = {
            name: value
            for name, value in result.headers.items()
            if name not in {"content-length", "content-type", "cache-control", "etag", "vary"}
        }
        return cacheable(call.request, bytes(result.body), result.media_type, kept)

    # The route row evaluates a string annotation in the handler's module, not in this one.
    parameter = next(iter(inspect.signature(handler).parameters.values()))
    if isinstance(parameter.annotation, str):
        resolved = parameter.replace(annotation=eval(parameter.annotation, handler.__globals__))
        answer.__signature__ = inspect.Signature([resolved])  # type: ignore[attr-defined]
    _CDN_CACHED.add(answer)
    return answer


def is_cdn_cached(handler: Handler) -> bool:
    return handler in _CDN_CACHED
