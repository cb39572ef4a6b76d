"""Clients generated from /api/openapi.json (openapi-python-client, openapi-typescript), run against the API.

Both generators run with their default options, as a developer would. The Python client runs in
process (its httpx client over the dispatcher through ASGITransport); the TypeScript flow
(tests/system/clients/flow.ts) is type-checked strictly against the generated `types.d.ts`, compiled
and run with node against a real `make dev` server. Where a tool is missing the tests skip with the
reason; in CI (`CI` set) that is a failure.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devkit.processes import ROOT
from tests.support import DEFAULT_PASSWORD, INHERITED_DB_SETTINGS, Account, dev_server

CLIENTS = ROOT / "tests" / "system" / "clients"
PYTHON_GENERATOR = Path(sys.executable).parent / "openapi-python-client"
OPENAPI_TYPESCRIPT = ROOT / "node_modules" / ".bin" / "openapi-typescript"
TSC = ROOT / "node_modules" / ".bin" / "tsc"
PACKAGE = "launchpad_generated_client"


def require(*tools: Path | str) -> None:
    """Skip where a generator, tsc or node is missing; in CI that is a failure (.ci/run installs them)."""
    missing = [
        str(tool) for tool in tools if not (shutil.which(tool) if isinstance(tool, str) else tool.exists())
    ]
    if missing:
        reason = f"missing: {', '.join(missing)} (npm ci; pip install -r requirements-dev.txt)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def run(command: list[str], cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{command[0]} failed:\n{done.stdout}\n{done.stderr}"
    return done


def timed(label: str, started: float) -> float:
    now = time.monotonic()
    print(f"{label}: {now - started:.2f} s")
    return now


async def write_document(client: httpx.AsyncClient, directory: Path) -> Path:
    response = await client.get("/api/openapi.json")
    assert response.status_code == 200
    path = directory / "openapi.json"
    path.write_bytes(response.content)
    return path


# --- openapi-python-client ---------------------------------------------------------------------------


@pytest.fixture
def python_client_path(tmp_path: Path) -> Iterator[Path]:
    """A directory for the generated package, importable while the test runs."""
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


def module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


async def test_openapi_python_client_flow(
    client: httpx.AsyncClient, dispatcher: Any, admin: Account, python_client_path: Path
) -> None:
    require(PYTHON_GENERATOR)
    started = time.monotonic()
    document = await write_document(client, python_client_path)
    generated = run(
        [
            str(PYTHON_GENERATOR),
            "generate",
            "--path",
            str(document),
            "--output-path",
            PACKAGE,
            "--meta",
            "none",
        ],
        cwd=python_client_path,
    )
    assert "Warning" not in generated.stdout + generated.stderr, generated.stdout + generated.stderr
    step = timed("openapi-python-client generate", started)

    api = module("client")
    models = module("models")
    register, login = module("api.auth.register"), module("api.auth.login")
    create_project, update_project = (
        module("api.projects.create_project"),
        module("api.projects.update_project"),
    )
    list_projects, get_project = module("api.projects.list_projects"), module("api.projects.get_project")
    create_plan, create_order = module("api.plans.create_plan"), module("api.orders.create_order")
    unset = module("types").UNSET

    def transport() -> dict[str, Any]:
        return {"transport": httpx.ASGITransport(app=dispatcher, client=("203.0.113.8", 5555))}

    base = "http://testserver"
    async with api.Client(base_url=base, httpx_args=transport()) as anonymous:
        registration = models.RegisterIn(
            email="pyclient@example.com", password=DEFAULT_PASSWORD, full_name="Py"
        )
        registered = await register.asyncio_detailed(client=anonymous, body=registration)
        assert registered.status_code == 201 and isinstance(registered.parsed, models.TokenOut)
        assert registered.parsed.token_type == "bearer" and registered.parsed.user.full_name == "Py"
        again = await register.asyncio_detailed(client=anonymous, body=registration)
        assert again.status_code == 409 and isinstance(again.parsed, models.Error)
        assert again.parsed.error.code == "conflict" and again.parsed.error.request_id
        body = models.LoginIn(email="pyclient@example.com", password=DEFAULT_PASSWORD)
        logged_in = await login.asyncio_detailed(client=anonymous, body=body)
        assert logged_in.status_code == 200 and isinstance(logged_in.parsed, models.TokenOut)
        token = logged_in.parsed.access_token

    async with (
        api.AuthenticatedClient(base_url=base, token=token, httpx_args=transport()) as student,
        api.AuthenticatedClient(base_url=base, token=admin.token, httpx_args=transport()) as staff,
    ):
        created = []
        for name in ("First", "Second", "Third"):
            project = models.ProjectCreate(title=name, category="iot", deadline=None)
            response = await create_project.asyncio_detailed(client=student, body=project)
            assert response.status_code == 201 and isinstance(response.parsed, models.ProjectOut), (
                response.content
            )
            created.append(response.parsed)
        first = created[0]
        assert first.status.value == "draft" and first.description == "" and first.tech_stack == []

        patch = models.ProjectUpdate(title="Renamed")
        assert patch.to_dict() == {"title": "Renamed"}  # only the field set is sent
        patched = await update_project.asyncio_detailed(id=first.id, client=student, body=patch)
        assert patched.status_code == 200 and isinstance(patched.parsed, models.ProjectOut)
        assert patched.parsed.title == "Renamed" and patched.parsed.category == first.category
        cleared = await update_project.asyncio_detailed(
            id=first.id, client=student, body=models.ProjectUpdate(deadline=None)
        )
        assert cleared.status_code == 200 and cleared.parsed.deadline is None

        page = await list_projects.asyncio_detailed(client=student, limit=2)
        assert page.status_code == 200 and isinstance(page.parsed, models.PageProjectOut)
        assert [p.title for p in page.parsed.items] == ["Third", "Second"]
        assert isinstance(page.parsed.next_cursor, str)
        rest = await list_projects.asyncio_detailed(client=student, limit=2, cursor=page.parsed.next_cursor)
        assert [p.title for p in rest.parsed.items] == ["Renamed"] and rest.parsed.next_cursor is None

        plan = models.PlanCreate(name="Basic", price_cents=49_900)
        assert plan.currency is unset  # the server's default applies, the client sends nothing
        made = await create_plan.asyncio_detailed(client=staff, body=plan)
        assert made.status_code == 201 and isinstance(made.parsed, models.PlanOut), made.content
        assert made.parsed.currency == "INR" and made.parsed.is_active is True
        order = models.OrderCreate(plan_id=made.parsed.id, project_id=first.id)
        ordered = await create_order.asyncio_detailed(client=student, body=order)
        assert ordered.status_code == 201 and isinstance(ordered.parsed, models.OrderOut), ordered.content
        assert ordered.parsed.amount_cents == 49_900 and ordered.parsed.status.value == "pending"

        missing = await get_project.asyncio_detailed(id=999_999, client=student)
        assert missing.status_code == 404 and isinstance(missing.parsed, models.Error)
        assert missing.parsed.error.code == "not_found"
        invalid = await create_project.asyncio_detailed(
            client=student, body=models.ProjectCreate(title="", category="iot")
        )
        assert invalid.status_code == 422 and isinstance(invalid.parsed, models.Error)
        assert invalid.parsed.error.code == "validation_error"
        assert [item["loc"] for item in invalid.parsed.error.details] == [["body", "title"]]
    timed("openapi-python-client flow", step)


# --- openapi-typescript + tsc + node -------------------------------------------------------------------


async def test_openapi_typescript_flow(client: httpx.AsyncClient, database_url: str, tmp_path: Path) -> None:
    require(OPENAPI_TYPESCRIPT, TSC, "node")
    started = time.monotonic()
    document = await write_document(client, tmp_path)
    run([str(OPENAPI_TYPESCRIPT), str(document), "-o", str(tmp_path / "types.d.ts")], cwd=tmp_path)
    step = timed("openapi-typescript generate", started)
    for name in ("flow.ts", "tsconfig.json"):
        shutil.copy(CLIENTS / name, tmp_path / name)
    run([str(TSC), "--noEmit", "-p", "tsconfig.json"], cwd=tmp_path)
    step = timed("tsc --noEmit (strict)", step)
    run([str(TSC), "-p", "tsconfig.json"], cwd=tmp_path)
    step = timed("tsc (emit)", step)

    email = f"ts-{uuid.uuid4().hex[:8]}@example.com"
    db_env = {name: os.environ[name] for name in INHERITED_DB_SETTINGS if name in os.environ}
    async with dev_server("generated-ts", **db_env) as (server, _):
        step = timed("dev server up", step)
        flow = run(
            ["node", str(tmp_path / "out" / "flow.js"), server.base_url, email], cwd=tmp_path, timeout=60
        )
    result = json.loads(flow.stdout.strip().splitlines()[-1])
    assert result["user"] == email and result["token_type"] == "bearer"
    assert result["title"] == "Renamed" and result["deadline"] is None
    assert result["listed"] == [result["project"]] and result["next_cursor"] is None
    assert result["not_found"] == "not_found"
    assert [item["loc"] for item in result["null_title"]] == [["body", "title"]]
    assert result["null_title"][0]["msg"] == "Value error, must not be null"
    timed("node flow against the dev server", step)
