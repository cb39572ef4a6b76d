"""Fixtures of the function tests beyond tests/conftest.py's: catalogue rows several functions buy."""

from __future__ import annotations

import httpx
import pytest

from tests.support import make_plan


@pytest.fixture
async def plan_id(client: httpx.AsyncClient) -> int:
    """An active plan (make_plan's defaults) in the freshly cleaned database; its id."""
    return await make_plan()
