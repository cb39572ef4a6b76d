"""What the tests/functions/test_meetings*.py files share: times, a meeting request, row lookups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import func, select

from lib.core.db import session
from lib.models.meetings import Meeting

LINK = "https://meet.example.com/abc-defg-hij"
KOLKATA = ZoneInfo("Asia/Kolkata")


def soon(days: float = 1, **kw: float) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(days=days, **kw)


async def create(client: httpx.AsyncClient, account: Any, **fields: Any) -> dict[str, Any]:
    body = {"scheduled_at": soon().isoformat(), "duration_minutes": 30, "agenda": "Review my synopsis"}
    body.update(fields)
    response = await client.post("/api/meetings", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def stored(meeting_id: int) -> Meeting | None:
    async with session() as db:
        return await db.get(Meeting, meeting_id)


async def count_meetings() -> int:
    async with session() as db:
        return await db.scalar(select(func.count()).select_from(Meeting))


def left_in(status: str) -> dict[str, Any]:
    """What force_status sets besides a meeting's `status`: a link once confirmed; unedited."""
    return {
        "meeting_link": LINK if status in {"confirmed", "completed"} else None,
        "updated_at": Meeting.created_at,
    }
