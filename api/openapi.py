"""GET /api/openapi.json and GET /api/docs: the API described from every function's route table."""

import html
import json
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from starlette.responses import HTMLResponse, Response

from lib.web.app import create_app, lambda_handler
from lib.web.endpoints import Call, Endpoint, get
from lib.web.functions import function_files, load_function
from lib.web.openapi import build_document


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
    return json.dumps(build_document(list(all_endpoints())), separators=(",", ":")).encode()


async def openapi_json(call: Call[None, None]) -> Response:
    return Response(document(), media_type="application/json")


def _schema_text(schema: Any) -> str:
    return html.escape(json.dumps(schema, indent=1)) if schema else ""


async def docs(call: Call[None, None]) -> HTMLResponse:
    spec = json.loads(document())
    rows = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            params = ", ".join(
                f"{p['name']} ({p['in']}{', required' if p.get('required') else ''})"
                for p in op["parameters"]
            )
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            auth = "bearer" if op.get("security") and op["security"][-1] else "none"
            rows.append(
                f"<tr><td><code>{method.upper()}</code></td><td><code>{html.escape(path)}</code></td>"
                f"<td>{html.escape(op['summary'])}</td><td>{auth}</td><td>{html.escape(params)}</td>"
                f"<td><pre>{_schema_text(body)}</pre></td><td>{', '.join(op['responses'])}</td></tr>"
            )
    schemas = "".join(
        f"<h3 id='{html.escape(name)}'>{html.escape(name)}</h3><pre>{_schema_text(schema)}</pre>"
        for name, schema in spec["components"]["schemas"].items()
    )
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Launchpad API docs</title>"
        "<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px;vertical-align:top}pre{margin:0;font-size:12px}</style>"
        "</head><body><h1>Launchpad API</h1><p>Machine-readable: "
        "<a href='/api/openapi.json'>/api/openapi.json</a>. "
        "Errors always have the <a href='#Error'>Error</a> shape.</p>"
        "<table><tr><th>method</th><th>path</th><th>summary</th><th>auth</th><th>parameters</th>"
        f"<th>body</th><th>responses</th></tr>{''.join(rows)}</table><h2>Schemas</h2>{schemas}</body></html>"
    )
    return HTMLResponse(page)


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
