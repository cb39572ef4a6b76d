"""The OpenAPI document: valid 3.1 and generated from the route tables that every function serves."""

from __future__ import annotations

import re
import subprocess

import httpx
import pytest
from openapi_spec_validator import validate

from devkit.processes import PYTHON, ROOT, subprocess_env


@pytest.fixture
async def spec(client: httpx.AsyncClient) -> dict:
    response = await client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


async def test_served_document_is_the_one_the_code_builds(client: httpx.AsyncClient) -> None:
    """api/openapi.py serves lib/web/openapi.json as it is: it must be the code's document, byte for byte."""
    from api.openapi import document

    response = await client.get("/api/openapi.json")
    assert response.content == document(), "lib/web/openapi.json is not current: run `make openapi`"


# A deployment's settings (no LAUNCHPAD_LOCAL, every service configured): the document is the same.
DEPLOYED_ENV = {
    "SECRET_KEY": "s" * 48,
    "CRON_SECRET": "c" * 24,
    "DATABASE_URL": "postgresql://user:password@db.example/app",
    "EMAIL_URL": "resend://re_key",
    "EMAIL_FROM": "Launchpad <no-reply@example.com>",
    "FRONTEND_URL": "https://app.example",
    "AI_API_URL": "https://ai.example/v1",
    "AI_API_KEY": "ai-key",
    "STORAGE_URL": "s3://bucket?region=us-east-1",
    "STORAGE_ACCESS_KEY_ID": "access",
    "STORAGE_SECRET_ACCESS_KEY": "secret",
    "FILE_MAX_MB": "3",
}


def test_generated_document_does_not_depend_on_the_settings() -> None:
    env = {k: v for k, v in subprocess_env(**DEPLOYED_ENV).items() if k != "LAUNCHPAD_LOCAL"}
    env["LAUNCHPAD_LOCAL"] = "0"  # the script defaults it to 1 only where it is unset
    run = subprocess.run(
        [PYTHON, "scripts/openapi_document.py", "--check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr


async def test_document_is_valid_openapi_31(spec: dict) -> None:
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def _routes_served() -> set[tuple[str, str]]:
    """(METHOD, path) of every route every function's app actually serves."""
    from lib.web.functions import function_files, load_function
    from lib.web.openapi import openapi_path

    served = set()
    for path in function_files():
        app = load_function(path).app
        for route in app.routes:
            for method in route.methods - {"HEAD"}:
                served.add((method, openapi_path(route.path)))
    return served


async def test_document_and_functions_describe_the_same_routes(spec: dict) -> None:
    documented = {(method.upper(), path) for path, ops in spec["paths"].items() for method in ops}
    assert documented == _routes_served()


async def test_operations_carry_limits_security_and_error_shapes(spec: dict) -> None:
    create_project = spec["paths"]["/api/projects"]["post"]
    body_ref = create_project["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = spec["components"]["schemas"][body_ref.rsplit("/", 1)[1]]
    assert body["properties"]["title"]["maxLength"] == 200
    assert create_project["security"] == [{"bearerAuth": []}]
    for status in ("401", "422", "400", "413"):
        error = create_project["responses"][status]["content"]["application/json"]["schema"]
        assert error == {"$ref": "#/components/schemas/Error"}
    limit = next(p for p in spec["paths"]["/api/projects"]["get"]["parameters"] if p["name"] == "limit")
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 100)
    assert "403" in spec["paths"]["/api/admin/stats/active-users"]["get"]["responses"]
    assert spec["paths"]["/api/health"]["get"]["security"] == []
    frm = [p["name"] for p in spec["paths"]["/api/meetings"]["get"]["parameters"]]
    assert "from" in frm and "to" in frm


async def test_docs_page_renders_offline(client: httpx.AsyncClient) -> None:
    """Swagger UI on /api/openapi.json from this origin's files (in Chromium: test_api_reference_page)."""
    response = await client.get("/api/docs")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert 'data-openapi-url="/api/openapi.json"' in response.text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", response.text)  # no CDN assets
    assets = re.findall(r"""(?:src|href)=["'](/[^"']*)""", response.text)
    assert {"/api-docs/swagger-ui-bundle.js", "/api-docs/swagger-ui.css", "/api-docs/init.js"} <= set(assets)
    for asset in assets:  # each served here (public/, as Vercel's CDN serves it), none from elsewhere
        assert (await client.get(asset)).status_code == 200, asset
    assert not re.search(r"<script(?![^>]*\ssrc=)", response.text)  # no inline script: the CSP refuses it
    assert "script-src 'self';" in response.headers["content-security-policy"]


PROBE = """
import sys, json
import api.projects
print(json.dumps(sorted(m for m in sys.modules if m.startswith("api.") or m == "lib.web.openapi")))
"""


def test_other_functions_do_not_import_the_openapi_machinery() -> None:
    run = subprocess.run(
        [PYTHON, "-c", PROBE], env=subprocess_env(), capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == '["api.projects"]'
