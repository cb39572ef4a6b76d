"""Fixtures of the function tests beyond tests/conftest.py's: a plan, the fake AI provider, the document."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.functions.ai_support import AI_KEY, AI_MODEL, AI_URL
from tests.support import make_plan


@pytest.fixture
async def plan_id(client: httpx.AsyncClient) -> int:
    """An active plan (make_plan's defaults) in the freshly cleaned database; its id."""
    return await make_plan()


@pytest.fixture
def use_provider(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Call it to configure the AI provider for the rest of the test (settings swapped on lib.core.config)."""
    from lib.core import config

    def enable() -> None:
        settings = dataclasses.replace(
            config.get_settings(),
            ai_api_url=AI_URL,
            ai_api_key=AI_KEY,
            ai_model=AI_MODEL,
            ai_timeout_seconds=2.0,
        )
        monkeypatch.setattr(config, "get_settings", lambda: settings)

    return enable


@pytest.fixture
async def spec(client: httpx.AsyncClient) -> dict[str, Any]:
    """The OpenAPI document as the server serves it."""
    response = await client.get("/api/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document
