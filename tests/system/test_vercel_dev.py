"""`vercel dev` from the pinned CLI serves every function with the committed vercel.json, offline.

The CLI runs in a copy of the work tree (.data/vercel-dev/, refreshed each run) against a stub of the
three Vercel REST calls it makes (devkit/vercel_api.py), with the test database handed to the
functions as the project's development environment. Each function is built on its first request
(the CLI makes a virtualenv per function); the copy keeps its .vercel/cache, so a later run with
unchanged dependencies reuses those builds.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator

import httpx
import pytest

from devkit.processes import ROOT
from devkit.vercel_dev import VercelDev, copy_work_tree, function_env
from tests.support import require_tools

PROJECT = ROOT / ".data" / "vercel-dev"


@pytest.fixture(scope="module")
def vercel_dev(database_url: str) -> Iterator[VercelDev]:
    require_tools("node", "node_modules/vercel")
    # A stable path: the per-function virtualenvs in .vercel/cache name it, so they stay valid.
    for entry in PROJECT.iterdir() if PROJECT.exists() else ():
        if entry.name != ".vercel":
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    project = copy_work_tree(PROJECT)
    server = VercelDev(project, function_env(dict(os.environ)))
    try:
        server.wait_listening()
        yield server
    finally:
        server.stop()


def _assert_error_shape(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code
    assert error["request_id"] == response.headers["x-request-id"]


async def test_vercel_dev_serves_the_functions(vercel_dev: VercelDev, db_clean: None) -> None:
    started = time.monotonic()
    # The first request to a function builds it (a virtualenv per function): allow minutes, not seconds.
    async with httpx.AsyncClient(base_url=vercel_dev.base_url, timeout=300) as http:
        health = await http.get("/api/health")
        assert health.status_code == 200, health.text + vercel_dev.log()[-3000:]
        assert health.json()["database"] == "ok"

        registered = await http.post(
            "/api/auth/register",
            json={"email": "vercel.dev@example.com", "password": "a long password", "full_name": "Dev"},
        )
        assert registered.status_code == 201, registered.text
        headers = {"Authorization": f"Bearer {registered.json()['access_token']}"}

        created = await http.post(
            "/api/projects", json={"title": "Served by vercel dev", "category": "web"}, headers=headers
        )
        assert created.status_code == 201, created.text
        project_id = created.json()["id"]
        # A rewrite path (/api/projects/:path* -> api/projects.py), authenticated.
        read = await http.get(f"/api/projects/{project_id}", headers=headers)
        assert read.status_code == 200 and read.json()["title"] == "Served by vercel dev"
        patched = await http.patch(f"/api/projects/{project_id}", json={"title": "Renamed"}, headers=headers)
        assert patched.status_code == 200 and patched.json()["title"] == "Renamed"

        # No function has this path: the last rewrite hands it to one, which answers the error shape.
        _assert_error_shape(await http.get("/api/nope"), 404, "not_found")
        _assert_error_shape(await http.delete("/api/projects/nope/deeper"), 404, "not_found")

        docs = await http.get("/api/docs")
        assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
    calls = set(vercel_dev.stub.calls)
    assert {"GET /v2/user", "GET /v9/projects/prj_offline"} <= calls, calls
    print(
        f"\n[vercel dev] 4 functions served in {time.monotonic() - started:.0f} s (first requests build them)"
    )
