"""The API reference at /api/docs: Swagger UI from public/, driven in headless Chromium against `make dev`.

The browser run (tests/system/reference_page.mjs, playwright-core on Debian's Chromium) loads the page
through a deep link, authorizes with a real bearer token, tries one operation and expands two schemas.
Asserted: no console or page error and no CSP violation, every request to the page's own origin, as
many operations shown as /api/openapi.json has, the schemas' field names and limits on screen. The
other tests check what the page is made of: the vendored Swagger UI files are byte for byte the
pinned package's, the dispatcher serves public/ as Vercel does, no function bundles public/.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from devkit.processes import ROOT
from scripts import vendor_swagger_ui
from tests.support import CHROMIUM, INHERITED_DB_SETTINGS, create_account, dev_server, require_tools

SCRIPT = ROOT / "tests" / "system" / "reference_page.mjs"
TRIED = ("/api/auth/me", "get")  # the operation tried out, with the bearer token
BODY_OF = ("/api/projects", "post")  # its request body's schema is expanded, as is `Error`


def test_vendored_swagger_ui_is_the_pinned_package() -> None:
    require_tools("node_modules/swagger-ui-dist")
    assert vendor_swagger_ui.problems() == [], "run `.venv/bin/python scripts/vendor_swagger_ui.py`"


def test_no_function_bundles_public() -> None:
    config = json.loads((ROOT / "vercel.json").read_text())
    for pattern, function in config["functions"].items():
        assert "public/**" in function["excludeFiles"].strip("{}").split(","), pattern


async def test_dispatcher_serves_public_files_first(client: httpx.AsyncClient) -> None:
    css = await client.get("/api-docs/swagger-ui.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert css.content == (ROOT / "public/api-docs/swagger-ui.css").read_bytes()
    assert css.headers["cache-control"] == "public, max-age=0, must-revalidate"
    js = await client.head("/api-docs/init.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    index = await client.get("/")
    assert index.status_code == 200 and index.text == (ROOT / "public/index.html").read_text()
    for path in ("/api-docs/missing.js", "/api-docs/../vercel.json", "/api-docs/%2e%2e/vercel.json"):
        response = await client.get(path)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found", path
    assert (await client.post("/api-docs/init.js")).status_code == 404  # a file answers GET and HEAD only
    assert (await client.get("/api/health")).headers["content-type"].startswith("application/json")


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _schema_fields(spec: dict[str, Any], schema: dict[str, Any], depth: int = 2) -> set[str]:
    """Property names of `schema` and, `depth` levels down, of the objects they hold."""
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    names = set(schema.get("properties", {}))
    if depth > 1:
        for child in schema.get("properties", {}).values():
            names |= _schema_fields(spec, child, depth - 1)
    return names


async def test_reference_page_in_chromium(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    require_tools("node", "chromium", "node_modules/playwright-core", "node_modules/swagger-ui-dist")
    account = await create_account(f"docs-{uuid.uuid4().hex[:8]}@example.com", "Docs Reader")
    started = time.monotonic()
    db_env = {name: os.environ[name] for name in INHERITED_DB_SETTINGS if name in os.environ}
    async with dev_server("api-docs", **db_env) as (server, http):
        spec = (await http.get("/api/openapi.json")).json()
        operations = sum(len(ops) for ops in spec["paths"].values())
        tried = spec["paths"][TRIED[0]][TRIED[1]]
        body_ref = spec["paths"][BODY_OF[0]][BODY_OF[1]]["requestBody"]["content"]["application/json"]
        body_name = body_ref["schema"]["$ref"].rsplit("/", 1)[1]
        models = {
            name: sorted(_schema_fields(spec, spec["components"]["schemas"][name]))
            for name in (body_name, "Error")
        }
        operation = {
            "id": f"operations-{tried['tags'][0]}-{tried['operationId']}",
            "hash": f"#/{tried['tags'][0]}/{tried['operationId']}",
            "path": TRIED[0],
        }
        page_input = {
            "base": server.base_url,
            "chromium": str(CHROMIUM),
            "token": account.token,
            "operations": operations,
            "operation": operation,
            "models": models,
        }
        run = subprocess.run(
            ["node", str(SCRIPT), json.dumps(page_input)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=180,
        )
    assert run.returncode == 0, run.stderr[-3000:]
    page = json.loads(run.stdout)
    assert "error" not in page, (page["error"], page["steps"])

    assert page["pageStatus"] == 200
    assert page["csp"] == (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    assert (page["consoleErrors"], page["pageErrors"]) == ([], [])
    assert page["cspViolations"] == []
    assert page["failedRequests"] == [] and page["errorResponses"] == []
    assert [r for r in page["requests"] if origin(r.split(" ", 1)[1]) != page["origin"]] == []
    assert f"GET {server.base_url}/api/openapi.json" in page["requests"]

    assert page["operationsShown"] == operations, page.get("renderError")
    assert page["deepLinkOpened"], "the #/tag/operationId link did not open its operation"
    assert page["hashAfter"] == operation["hash"]
    assert page["authorizeButtons"] == 1 and page["authorizedText"]
    assert page["authorizationSent"], "Try it out did not send the bearer token"
    assert page["tryIt"]["status"] == "200", page["tryIt"]
    assert account.email in page["tryIt"]["body"]
    assert re.fullmatch(r"\d+ ms", page["tryIt"]["duration"]), page["tryIt"]
    assert not [key for key in page["localStorageKeys"] if "auth" in key.lower()]  # persistAuthorization off

    assert all(models.values()), models
    for name, fields in models.items():
        assert set(fields) <= set(page["models"][name]["fields"]), (name, page["models"][name])
    title = spec["components"]["schemas"][body_name]["properties"]["title"]
    assert f"[{title['minLength']}, {title['maxLength']}] characters" in page["models"][body_name]["text"]

    with capsys.disabled():
        print(
            f"\n[api-docs] {page['operationsShown']} operations shown (= /api/openapi.json), "
            f"schemas {', '.join(models)} expanded, try-it {TRIED[1].upper()} {TRIED[0]} "
            f"{page['tryIt']['status']} in {page['tryIt']['duration']}; {len(page['requests'])} requests, "
            f"all to {page['origin']}; page ready in {page['loadMs'] / 1000:.1f} s, browser run "
            f"{page['seconds']:.1f} s, test {time.monotonic() - started:.1f} s"
        )
