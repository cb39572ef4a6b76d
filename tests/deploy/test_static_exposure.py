"""The served site never hands out source, settings, requirements or migrations."""

from __future__ import annotations

import httpx
import pytest

SECRETS_ON_DISK = [
    "/lib/core/config.py",
    "/lib/core/tokens.py",
    "/requirements.txt",
    "/requirements-dev.txt",
    "/.env",
    "/.env.local",
    "/vercel.json",
    "/alembic.ini",
    "/migrations/env.py",
    "/migrations/versions/",
    "/scripts/deploy.sh",
    "/.git/config",
    "/api/../lib/core/config.py",
    "/api/%2e%2e/lib/core/config.py",
    "/api/_private.py",
]


@pytest.mark.parametrize("path", SECRETS_ON_DISK)
async def test_no_source_or_settings_are_served(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404, (path, response.status_code)
    assert response.json()["error"]["code"] == "not_found"
    for marker in ("import ", "SECRET_KEY", "sqlalchemy==", "[alembic]", "def "):
        assert marker not in response.text


async def test_a_function_path_with_py_runs_the_function_not_its_source(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/health.py")
    assert "import " not in response.text and "def health" not in response.text
