"""vercel.json through Vercel's own validators and router (scripts/vercel_check.mjs), against make dev's."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from devkit.processes import ROOT
from devkit.vercel_routes import load_rewrites, resolve
from tests.support import require_tools

CHECK = ROOT / "scripts" / "vercel_check.mjs"
UUID = "0f8fad5b-d9cb-469f-a165-70867728950e"

# URL path -> the function file Vercel runs for it (None: no function, a 404 or a static file).
# Paths ending in `.py` under /api are left to `make vercel-build`: Vercel routes them through the
# zero-config `miss` phase, which exists only in a built output's config.json (bundle_report checks it).
ROUTES: dict[str, str | None] = {
    "/api/health": "api/health.py",
    "/api/projects": "api/projects.py",
    "/api/projects/7": "api/projects.py",
    "/api/projects/7/extra": "api/projects.py",
    "/api/projects7": "api/health.py",
    "/api/projects//7": None,
    "/api/Projects/7": "api/health.py",
    "/API/health": None,
    "/api/admin-requests": "api/admin_requests.py",
    "/api/admin-requests/3": "api/admin_requests.py",
    "/api/admin_requests": "api/admin_requests.py",
    "/api/admin/stats": "api/stats.py",
    "/api/admin/stats/active-users": "api/stats.py",
    "/api/admin": "api/health.py",
    "/api/stats": "api/stats.py",
    "/api/services/mine": "api/services.py",
    "/api/services/2/subscribe": "api/services.py",
    "/api/plans": "api/plans.py",
    "/api/plans/3": "api/plans.py",
    "/api/orders/9": "api/orders.py",
    "/api/synopsis/4": "api/synopsis.py",
    "/api/meetings/2": "api/meetings.py",
    f"/api/chatbot/sessions/{UUID}": "api/chatbot.py",
    "/api/ideas/5/refine": "api/ideas.py",
    "/api/activity": "api/activity.py",
    "/api/openapi.json": "api/openapi.py",
    "/api/openapi": "api/openapi.py",
    "/api/docs": "api/openapi.py",
    # Every other path under /api reaches a function (the last rewrite), which answers the JSON error shape.
    "/api/docs/extra": "api/health.py",
    # Vercel's compiled rewrites are strict: a trailing slash matches none of them. (A trailing slash on
    # a function's own path, `/api/health/`, is left out: how Vercel's proxy treats it is not in any package.)
    "/api/docs/": None,
    "/api/openapi.json/": None,
    "/api/projects/7/": None,
    "/api/cron/archive": "api/cron/archive.py",
    "/api/cron/outbox": "api/cron/outbox.py",
    "/api/cron": "api/health.py",
    "/api/auth/login": "api/auth.py",
    "/api/auth": "api/auth.py",
    "/api/nothing": "api/health.py",
    "/api/nothing.py": "api/health.py",
    "/api": "api/health.py",
    "/lib/core/config.py": None,
    "/vercel.json": None,
    "/": None,
    "/index.html": None,
}


def run_check(*args: str) -> tuple[int, dict[str, Any]]:
    require_tools("node", "node_modules/vercel")
    run = subprocess.run(["node", str(CHECK), *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.stdout, run.stderr[-2000:]
    return run.returncode, json.loads(run.stdout)


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    returncode, result = run_check("--routes", *ROUTES)
    assert returncode == 0, [check for check in result["checks"] if not check["ok"]]
    return result


def test_vercel_validators_accept_vercel_json(report: dict[str, Any]) -> None:
    assert report["valid"] is True
    names = {check["name"] for check in report["checks"]}
    assert {
        "build-utils getFunctionsSchema (ajv)",
        "routing-utils getTransformedRoutes",
        "vercel CLI config validator (whole vercel.json)",
    } <= names
    config = json.loads((ROOT / "vercel.json").read_text())
    for pattern in config["functions"]:
        assert f"functions pattern {pattern} matches a file (build-utils glob)" in names


def test_installed_versions_are_the_pinned_ones(report: dict[str, Any]) -> None:
    pins = json.loads((ROOT / "package.json").read_text())["devDependencies"]
    assert report["versions"] == pins


@pytest.mark.parametrize(
    ("broken", "failing_check"),
    [
        ({"functions": {"api/*.py": {"memory": 99999}}}, "build-utils getFunctionsSchema (ajv)"),
        (
            {"functions": {"api/*.py": {}}, "rewrites": [{"source": "/api/(x", "destination": "/api/x"}]},
            "routing-utils getTransformedRoutes",
        ),
        (
            {"functions": {"api/*.py": {}}, "crons": [{"path": "api/cron/archive", "schedule": "daily"}]},
            "vercel CLI config validator (whole vercel.json)",
        ),
        (
            {"functions": {"api/nowhere/*.py": {}}},
            "functions pattern api/nowhere/*.py matches a file (build-utils glob)",
        ),
    ],
)
def test_vercel_validators_reject_a_broken_config(broken: dict, failing_check: str, tmp_path: Path) -> None:
    """The validators are live: each one refuses the mistake it exists for."""
    config = tmp_path / "vercel.json"
    config.write_text(json.dumps(broken))
    returncode, result = run_check("--config", str(config))
    assert returncode == 1 and result["valid"] is False
    failed = {check["name"]: check["error"] for check in result["checks"] if not check["ok"]}
    assert failing_check in failed, result["checks"]


def test_vercel_routes_and_make_dev_pick_the_same_function(report: dict[str, Any]) -> None:
    rewrites = load_rewrites(ROOT / "vercel.json")
    table = []
    for path, expected in ROUTES.items():
        vercel = report["resolved"][path].get("function")
        local = resolve(path, rewrites, ROOT)
        table.append((path, expected, vercel, str(local.relative_to(ROOT)) if local else None))
    wrong = [row for row in table if not row[1] == row[2] == row[3]]
    assert wrong == [], "(path, expected, vercel, make dev): " + repr(wrong)


def test_every_function_is_reachable_at_its_path(report: dict[str, Any]) -> None:
    functions = {f["function"] for f in report["filesystem"].values() if "function" in f}
    on_disk = {
        str(p.relative_to(ROOT))
        for p in (ROOT / "api").rglob("*.py")
        if not any(part.startswith("_") for part in p.relative_to(ROOT).parts)
    }
    assert functions == on_disk


def test_security_headers_on_every_api_path(report: dict[str, Any]) -> None:
    config = json.loads((ROOT / "vercel.json").read_text())
    api_block = next(block for block in config["headers"] if block["source"] == "/api/(.*)")
    assert {"key": "X-Content-Type-Options", "value": "nosniff"} in api_block["headers"]
    # What a path answers unless its function says otherwise (the catalogue's public GETs do).
    assert {"key": "Cache-Control", "value": "private, no-store"} in api_block["headers"]
    for path, resolved in report["resolved"].items():
        headers = resolved["headers"]
        if path.startswith("/api/"):
            assert headers.get("x-content-type-options") == "nosniff", path
        else:
            assert "x-content-type-options" not in headers, path


def test_archive_cron_runs_daily(report: dict[str, Any]) -> None:
    crons = json.loads((ROOT / "vercel.json").read_text())["crons"]
    entry = next((cron for cron in crons if cron["path"] == "/api/cron/archive"), None)
    assert entry is not None, crons
    minute, hour, *rest = entry["schedule"].split()
    assert re.fullmatch(r"[0-5]?\d", minute) and re.fullmatch(r"1?\d|2[0-3]", hour), entry
    assert rest == ["*", "*", "*"], entry
    assert report["resolved"]["/api/cron/archive"]["function"] == "api/cron/archive.py"


def test_outbox_cron_deploys_on_hobby(report: dict[str, Any]) -> None:
    # Hobby runs a cron at most once a day; Pro may run it every 5 minutes (docs/DEPLOYMENT.md).
    crons = json.loads((ROOT / "vercel.json").read_text())["crons"]
    entry = next((cron for cron in crons if cron["path"] == "/api/cron/outbox"), None)
    assert entry is not None, crons
    minute, hour, *rest = entry["schedule"].split()
    assert re.fullmatch(r"[0-5]?\d", minute) and re.fullmatch(r"1?\d|2[0-3]", hour), entry
    assert rest == ["*", "*", "*"], entry
    assert report["resolved"]["/api/cron/outbox"]["function"] == "api/cron/outbox.py"


def test_public_directory_is_served_instead_of_the_source(report: dict[str, Any]) -> None:
    public = ROOT / "public"
    files = [p for p in public.rglob("*") if p.is_file()]
    assert files and not [p for p in files if p.suffix == ".py"]
    assert report["resolved"]["/"].get("static") == "index.html"
    leaked = report["resolved"]["/lib/core/config.py"]
    assert leaked["status"] == 404 and "static" not in leaked and leaked["function"] is None
