"""GET /api/openapi.json and GET /api/docs: the API described from every function's route table.

The document is built from every route table by `make openapi` (scripts/openapi_document.py) into
lib/web/openapi.json, which this function serves as it is: building it here would import every other
function and run pydantic's JSON schema generation on a cold start (about 1 s). A test builds it again
from the code and fails when the file differs by one byte (tests/functions/test_openapi.py).
"""

import lib.startup  # noqa: F401  (first: no garbage collection while this function loads)

import json
import sys
from functools import cache, lru_cache
from pathlib import Path

from starlette.responses import HTMLResponse, Response

from lib.web.app import create_app, lambda_handler
from lib.web.caching import cdn_cached
from lib.web.endpoints import Call, Endpoint, get
from lib.web.functions import function_files, load_function
from lib.web.openapi import DOCUMENT_PATH, build_document


@lru_cache(maxsize=1)
def all_endpoints() -> tuple[Endpoint, ...]:
    """Only this function imports every route table; the others never pay for it."""
    endpoints: list[Endpoint] = []
    for path in function_files():
        module = ENDPOINTS_MODULE if path == Path(__file__).resolve() else load_function(path)
        endpoints.extend(module.ENDPOINTS)
    return tuple(endpoints)


@lru_cache(maxsize=1)
def document() -> bytes:
    """The document built from the code: what lib/web/openapi.json must hold, byte for byte."""
    return json.dumps(build_document(list(all_endpoints())), separators=(",", ":")).encode()


@cache
def served_document() -> bytes:
    """The document this function serves: the generated file, read once per process."""
    return DOCUMENT_PATH.read_bytes()


@cdn_cached
async def openapi_json(call: Call[None, None]) -> Response:
    return Response(served_document(), media_type="application/json")


# The page is a shell: Swagger UI (vendored in public/api-docs/ by scripts/vendor_swagger_ui.py, served by
# Vercel's CDN, or by devkit/dispatcher.py under `make dev`) renders /api/openapi.json in the browser.
# Nothing on it comes from another origin, and no inline script runs: public/api-docs/init.js configures it.
ASSETS = "/api-docs"
PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Launchpad API reference</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
</head>
<body>
<noscript><p>This reference needs JavaScript. The API is described by
<a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1).</p></noscript>
<div id="swagger-ui" data-openapi-url="/api/openapi.json"></div>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="{ASSETS}/init.js"></script>
</body>
</html>
""".encode()
# What Swagger UI needs and nothing more: its script and stylesheet from this origin, fetch() to this
# origin only (the document, "Try it out") and the data: images its stylesheet inlines (icons). No
# 'unsafe-inline' for styles: React sets its style attributes through the CSSOM, which CSP allows, and
# no 'unsafe-eval': the bundle's Function("return this") fallbacks never run in a browser with
# globalThis (tests/system/test_api_reference_page.py fails on any CSP violation).
CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
PAGE_HEADERS = {"content-security-policy": CSP}


@cdn_cached
async def docs(call: Call[None, None]) -> HTMLResponse:
    return HTMLResponse(PAGE, headers=PAGE_HEADERS)


ENDPOINTS = [
    get("/api/openapi.json", openapi_json, auth="public", database=False, summary="OpenAPI 3.1 document"),
    get(
        "/api/docs",
        docs,
        auth="public",
        database=False,
        media_type="text/html",
        summary="Human-readable docs",
    ),
]
ENDPOINTS_MODULE = sys.modules[__name__]

app = create_app(ENDPOINTS)
__getattr__ = lambda_handler(app)  # `handler` for AWS Lambda, built on first use
