"""What the tests/functions/test_auth_*.py files share: the token body's shape, logins, row lookups."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import func, select, text

from lib.core.config import get_settings
from lib.core.db import session
from lib.models.users import User

CLIENT_IP = "203.0.113.7"
PASSWORD = "correct horse battery"
USER_KEYS = {
    "id",
    "email",
    "full_name",
    "is_admin",
    "is_active",
    "email_verified",
    "phone",
    "college",
    "department",
    "graduation_year",
    "email_notifications",
    "last_login_at",
    "created_at",
}


def assert_token_body(body: dict[str, Any], email: str, full_name: str) -> None:
    assert set(body) == {"user", "access_token", "token_type", "expires_in"}
    assert set(body["user"]) == USER_KEYS
    assert body["user"]["email"] == email
    assert body["user"]["full_name"] == full_name
    assert body["user"]["is_admin"] is False
    assert isinstance(body["user"]["id"], int)
    assert datetime.fromisoformat(body["user"]["created_at"]).tzinfo is not None
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == get_settings().access_token_minutes * 60
    assert body["access_token"].count(".") == 2


async def users_with_email(email: str) -> list[User]:
    async with session() as db:
        return list(await db.scalars(select(User).where(func.lower(User.email) == email.lower())))


async def login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/auth/login", json={"email": email, "password": password})


async def activity_rows_as_text(action: str) -> list[str]:
    """Each activity row of `action`, every column serialized by Postgres itself."""
    async with session() as db:
        result = await db.execute(
            text("SELECT row_to_json(a)::text FROM activity_logs a WHERE action = :action ORDER BY id"),
            {"action": action},
        )
        return list(result.scalars())
