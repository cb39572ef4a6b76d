"""Every function served as Vercel runs it (vercel-runtime's vc_handler) and as AWS Lambda does (Mangum)."""

from __future__ import annotations

import json
import subprocess

import pytest

from devkit.processes import PYTHON, ROOT, subprocess_env

# One real request per function: (method, path, needs a token, expected status). A new file in
# api/ without a row here fails test_every_function_has_a_smoke_request.
SMOKE = {
    "api/health.py": ("GET", "/api/health", False, 200),
    "api/auth.py": ("GET", "/api/auth/me", True, 200),
    "api/projects.py": ("GET", "/api/projects?limit=5", True, 200),
    "api/plans.py": ("GET", "/api/plans", False, 200),
    "api/services.py": ("GET", "/api/services/mine", True, 200),
    "api/orders.py": ("GET", "/api/orders", True, 200),
    "api/synopsis.py": ("GET", "/api/synopsis", True, 200),
    "api/meetings.py": ("GET", "/api/meetings", True, 200),
    "api/admin_requests.py": ("GET", "/api/admin-requests", True, 200),
    "api/chatbot.py": ("GET", "/api/chatbot/sessions", True, 200),
    "api/ideas.py": ("GET", "/api/ideas", True, 200),
    "api/activity.py": ("GET", "/api/activity", True, 200),
    "api/stats.py": ("GET", "/api/admin/stats/active-users", True, 200),
    "api/openapi.py": ("GET", "/api/openapi.json", False, 200),
    "api/cron/archive.py": ("GET", "/api/cron/archive", False, 401),
    "api/cron/outbox.py": ("GET", "/api/cron/outbox", False, 401),
    "api/users.py": ("GET", "/api/users?limit=5", True, 200),
    "api/notifications.py": ("GET", "/api/notifications/unread-count", True, 200),
    # No provider configured in the smoke run: the function answers, and there is no webhook to reach.
    "api/payments.py": ("POST", "/api/payments/razorpay/webhook", False, 404),
    "api/files.py": ("GET", "/api/files", True, 200),
    "api/cron/storage.py": ("GET", "/api/cron/storage", False, 401),
}


def function_files() -> list[str]:
    return sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / "api").rglob("*.py") if not p.name.startswith("_")
    )


def test_every_function_has_a_smoke_request() -> None:
    assert set(function_files()) <= set(SMOKE), set(function_files()) - set(SMOKE)


VERCEL_PROBE = """
import json, sys
from vercel_runtime import vc_init
request = json.loads(sys.argv[1])
result = vc_init.vc_handler({"body": json.dumps(request)}, None)
answer = {"status": result["statusCode"], "headers": result["headers"], "body": result["body"]}
print("RESULT " + json.dumps(answer))
"""


def serve_with_vercel_runtime(relative: str, method: str, path: str, headers: dict[str, str]) -> dict:
    """Import the function exactly as Vercel's Python runtime does and send it one request."""
    module = relative.removesuffix(".py").replace("/", ".")
    env = subprocess_env(
        __VC_HANDLER_ENTRYPOINT=relative,
        __VC_HANDLER_ENTRYPOINT_ABS=str(ROOT / relative),
        __VC_HANDLER_MODULE_NAME=module,
        __VC_HANDLER_VARIABLE_NAME="app",
        PYTHONPATH=str(ROOT),
    )
    request = {"method": method, "path": path, "headers": {"host": "launchpad.test", **headers}, "body": ""}
    run = subprocess.run(
        [PYTHON, "-c", VERCEL_PROBE, json.dumps(request)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    line = next(line for line in run.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


@pytest.mark.parametrize("relative", sorted(SMOKE))
async def test_function_serves_through_vercel_runtime(relative: str, client, admin) -> None:
    if not (ROOT / relative).exists():
        pytest.fail(f"{relative} is listed but missing")
    method, path, needs_token, expected = SMOKE[relative]
    headers = {"authorization": f"Bearer {admin.token}"} if needs_token else {}
    result = serve_with_vercel_runtime(relative, method, path, headers)
    assert result["status"] == expected, result
    body = json.loads(result["body"])
    request_ids = result["headers"].get("x-request-id")
    assert request_ids, result["headers"]
    if expected >= 400:
        assert body["error"]["request_id"] == request_ids[0]
    if relative == "api/auth.py":
        assert body["email"] == admin.email
    if relative == "api/health.py":
        assert body["database"] == "ok" and body["migration"]


MANGUM_PROBE = """
import importlib, json, sys
relative, method, path, query, token = sys.argv[1:6]
# As AWS Lambda resolves "api/projects.handler": a plain import from the bundle root.
module = importlib.import_module(relative[:-3].replace("/", "."))
headers = {"host": "abc.execute-api.eu-west-1.amazonaws.com", "user-agent": "lambda-test"}
if token:
    headers["authorization"] = "Bearer " + token
event = {
    "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
    "headers": headers, "isBase64Encoded": False,
    "requestContext": {"http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                                "sourceIp": "198.51.100.1", "userAgent": "lambda-test"},
                       "requestId": "req-1", "stage": "$default", "domainName": headers["host"]},
}
response = module.handler(event, None)
print("RESULT " + json.dumps(response))
"""


@pytest.mark.parametrize("relative", sorted(SMOKE))
async def test_function_answers_api_gateway_v2_events_through_mangum(relative: str, client, admin) -> None:
    if not (ROOT / relative).exists():
        pytest.fail(f"{relative} is listed but missing")
    method, target, needs_token, expected = SMOKE[relative]
    path, _, query = target.partition("?")
    run = subprocess.run(
        [PYTHON, "-c", MANGUM_PROBE, relative, method, path, query, admin.token if needs_token else ""],
        cwd=ROOT,
        env=subprocess_env(PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    response = json.loads(
        next(line for line in run.stdout.splitlines() if line.startswith("RESULT ")).removeprefix("RESULT ")
    )
    assert response["statusCode"] == expected, response
    assert "x-request-id" in {k.lower() for k in response["headers"]}
    json.loads(response["body"])


def test_public_directory_keeps_source_private() -> None:
    """Without public/, Vercel serves every file outside api/ as static: /lib/core/config.py would leak."""
    public = ROOT / "public"
    assert public.is_dir() and any(public.iterdir())
    # Swagger UI's vendored third-party notices (`*.LICENSE.txt`) are meant to be served with it.
    leaked = [
        p
        for p in public.rglob("*")
        if p.suffix in {".py", ".txt", ".env", ".ini", ".toml"} and not p.name.endswith(".LICENSE.txt")
    ]
    assert leaked == []
