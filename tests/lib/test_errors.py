"""The one error shape: every failure a client can cause answers the same JSON with a request id."""

from __future__ import annotations

import json
import subprocess

import httpx
import pytest
from pydantic import BaseModel, ConfigDict, Field

from devkit.processes import PYTHON, subprocess_env
from lib.web.app import create_app
from lib.web.endpoints import Call, post
from tests.support import assert_error


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=10)
    size: int = Field(ge=1, le=5)


async def make_thing(call: Call[Thing, None]) -> dict[str, object]:
    return {"name": call.body.name, "size": call.body.size}


async def explode(call: Call[None, None]) -> None:
    raise RuntimeError("SELECT secret_column FROM hidden_table -- password=hunter2")


@pytest.fixture
async def app_client(database_url: str, db_clean):  # type: ignore[no-untyped-def]
    app = create_app(
        [
            post("/api/things", make_thing, auth="public"),
            post("/api/explode", explode, auth="public"),
        ]
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        yield http


async def test_unknown_path_is_404(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/api/health/nothing-here"), 404, "not_found")


async def test_wrong_method_is_405(client: httpx.AsyncClient) -> None:
    assert_error(await client.delete("/api/health"), 405, "method_not_allowed")


async def test_malformed_json_is_400(app_client: httpx.AsyncClient) -> None:
    response = await app_client.post(
        "/api/things", content=b'{"name": ', headers={"content-type": "application/json"}
    )
    assert "not valid JSON" in assert_error(response, 400, "bad_request")["message"]


async def test_wrong_content_type_is_400(app_client: httpx.AsyncClient) -> None:
    response = await app_client.post("/api/things", content=b"name=x", headers={"content-type": "text/plain"})
    assert_error(response, 400, "bad_request")


async def test_body_over_one_mib_is_413(app_client: httpx.AsyncClient) -> None:
    big = json.dumps({"name": "x" * (1024 * 1024 + 10), "size": 1})
    response = await app_client.post("/api/things", content=big, headers={"content-type": "application/json"})
    assert_error(response, 413, "payload_too_large")


async def test_streamed_body_over_one_mib_is_413(app_client: httpx.AsyncClient) -> None:
    async def chunks():  # no content-length: the limit must hold while streaming
        for _ in range(20):
            yield b"x" * 65536

    response = await app_client.post(
        "/api/things", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_error(response, 413, "payload_too_large")


async def test_schema_violation_is_422_with_details_per_field(app_client: httpx.AsyncClient) -> None:
    response = await app_client.post("/api/things", json={"name": "", "size": 9, "colour": "red"})
    error = assert_error(response, 422, "validation_error")
    locs = {tuple(item["loc"]) for item in error["details"]}
    assert locs == {("body", "name"), ("body", "size"), ("body", "colour")}
    assert all(set(item) == {"loc", "msg", "type"} for item in error["details"])


async def test_unexpected_error_is_500_without_internals(app_client: httpx.AsyncClient) -> None:
    response = await app_client.post("/api/explode", json={})
    error = assert_error(response, 500, "internal_error")
    assert "secret_column" not in response.text and "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert error["details"] is None


async def test_valid_request_passes(app_client: httpx.AsyncClient) -> None:
    response = await app_client.post("/api/things", json={"name": "ok", "size": 3})
    assert response.status_code == 201 and response.json() == {"name": "ok", "size": 3}
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_vercel_request_id_is_used(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from lib.core import config

    on_vercel = dataclasses.replace(config.get_settings(), on_vercel=True)
    monkeypatch.setattr(config, "get_settings", lambda: on_vercel)
    response = await client.get("/api/health", headers={"x-vercel-id": "fra1::abc-123"})
    assert response.headers["x-request-id"] == "fra1::abc-123"


UNREACHABLE = """
import asyncio, json, httpx, time
from api.health import app
async def main():
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        started = time.perf_counter()
        r = await c.get("/api/health")
        print(json.dumps({"status": r.status_code, "body": r.json(), "headers": dict(r.headers),
                          "seconds": time.perf_counter() - started}))
asyncio.run(main())
"""


def test_unreachable_database_is_503_with_retry_after(tmp_path) -> None:
    env = subprocess_env(
        DATABASE_URL=f"postgresql://nobody:pw@/launchpad?host={tmp_path}", DB_CONNECT_TIMEOUT="2"
    )
    run = subprocess.run([PYTHON, "-c", UNREACHABLE], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["status"] == 503
    assert result["body"]["error"]["code"] == "service_unavailable"
    assert result["headers"]["retry-after"].isdigit()
    assert result["headers"]["x-request-id"] == result["body"]["error"]["request_id"]
    assert result["seconds"] < 5
    assert "nobody" not in run.stdout and "Traceback" not in run.stdout
