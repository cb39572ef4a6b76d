"""The archive cron: old rows move to the archive in batches; nothing lost, nothing twice."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from lib.core.config import get_settings
from lib.core.db import session
from lib.models.activity_logs import ActivityLog, ActivityLogArchive
from lib.models.chatbot_history import ChatbotMessage, ChatbotMessageArchive

CRON = {"Authorization": "Bearer test-cron-secret-value"}


def days_ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


@pytest.fixture
async def old_and_new(client, alice):  # type: ignore[no-untyped-def]
    """Five rows past the 90-day retention (one just past it), three inside it (one just inside)."""
    ages = [400, 200, 120, 91, 90.01, 89.99, 30, 1]
    async with session() as db:
        await db.execute(
            insert(ActivityLog),
            [
                {"user_id": alice.id, "action": f"act_{i}", "status": "success", "created_at": days_ago(age)}
                for i, age in enumerate(ages)
            ],
        )
    return ages


async def ids(model) -> set[int]:  # type: ignore[no-untyped-def]
    async with session() as db:
        return set((await db.scalars(select(model.id))).all())


async def test_moves_rows_past_retention_in_batches(client, old_and_new) -> None:
    live_before = await ids(ActivityLog)
    response = await client.get("/api/cron/archive?batch_size=2", headers=CRON)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["moved"], body["remaining"], body["chatbot"]) == (5, 0, None)
    assert body["seconds"] >= 0

    live_after, archived = await ids(ActivityLog), await ids(ActivityLogArchive)
    assert live_after | archived == live_before and not live_after & archived  # nothing lost, nothing twice
    async with session() as db:
        oldest_live = await db.scalar(select(func.min(ActivityLog.created_at)))
        newest_archived = await db.scalar(select(func.max(ActivityLogArchive.created_at)))
        moved = (
            await db.execute(select(ActivityLogArchive).where(ActivityLogArchive.action == "act_0"))
        ).scalar_one()
    assert newest_archived < days_ago(90) < oldest_live
    assert moved.user_id is not None and moved.status == "success"

    again = (await client.get("/api/cron/archive", headers=CRON)).json()
    assert (again["moved"], again["remaining"]) == (0, 0)
    assert await ids(ActivityLogArchive) == archived


async def test_stops_at_its_time_budget_and_resumes(client, old_and_new) -> None:
    first = (await client.get("/api/cron/archive?batch_size=1&max_seconds=0.000001", headers=CRON)).json()
    assert first["moved"] + first["remaining"] == 5 and first["remaining"] > 0
    second = (await client.get("/api/cron/archive?batch_size=1", headers=CRON)).json()
    assert (first["moved"] + second["moved"], second["remaining"]) == (5, 0)
    assert len(await ids(ActivityLogArchive)) == 5


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "test-cron-secret-value"}]
)
async def test_wrong_or_missing_secret_is_401_and_moves_nothing(client, old_and_new, headers) -> None:
    response = await client.get("/api/cron/archive", headers=headers)
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized"
    assert await ids(ActivityLogArchive) == set()


@pytest.fixture
def settings_env(monkeypatch):  # type: ignore[no-untyped-def]
    """Change settings through the environment for one test."""

    def change(**values: str | None) -> None:
        for name, value in values.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield change
    monkeypatch.undo()
    get_settings.cache_clear()


async def test_without_a_configured_secret_every_call_is_401(client, old_and_new, settings_env) -> None:
    settings_env(CRON_SECRET=None)
    assert (await client.get("/api/cron/archive", headers=CRON)).status_code == 401
    assert (await client.get("/api/cron/archive", headers={"Authorization": "Bearer "})).status_code == 401
    assert await ids(ActivityLogArchive) == set()


async def test_chatbot_history_is_archived_when_enabled(client, alice, settings_env) -> None:
    settings_env(CHATBOT_RETENTION_DAYS="30")
    session_id = uuid.uuid4()
    async with session() as db:
        await db.execute(
            insert(ChatbotMessage),
            [
                {
                    "user_id": alice.id,
                    "session_id": session_id,
                    "message_type": "user",
                    "message": m,
                    "created_at": days_ago(age),
                }
                for m, age in (("old", 45), ("older", 60), ("fresh", 2))
            ],
        )
    body = (await client.get("/api/cron/archive", headers=CRON)).json()
    assert body["chatbot"] == {"moved": 2, "remaining": 0}
    async with session() as db:
        assert set((await db.scalars(select(ChatbotMessageArchive.message))).all()) == {"old", "older"}
        assert list((await db.scalars(select(ChatbotMessage.message))).all()) == ["fresh"]


async def test_admins_read_the_archive_users_cannot(client, old_and_new, alice, admin) -> None:
    await client.get("/api/cron/archive", headers=CRON)
    archived = await client.get("/api/activity?archived=true&limit=100", headers=admin.headers)
    assert archived.status_code == 200
    assert sorted(item["action"] for item in archived.json()["items"]) == [
        "act_0",
        "act_1",
        "act_2",
        "act_3",
        "act_4",
    ]
    filtered = await client.get(
        f"/api/activity?archived=true&action=act_0&user_id={alice.id}", headers=admin.headers
    )
    assert [item["action"] for item in filtered.json()["items"]] == ["act_0"]
    assert (await client.get("/api/activity?archived=true", headers=alice.headers)).status_code == 403


async def test_an_id_already_archived_fails_the_batch_and_loses_nothing(client, old_and_new) -> None:
    async with session() as db:
        oldest = (
            await db.execute(select(ActivityLog).order_by(ActivityLog.created_at).limit(1))
        ).scalar_one()
        await db.execute(
            insert(ActivityLogArchive).values(
                id=oldest.id, action="clash", status="success", created_at=oldest.created_at
            )
        )
    before = await ids(ActivityLog)
    response = await client.get("/api/cron/archive?batch_size=10", headers=CRON)
    assert response.status_code == 500
    assert before <= await ids(ActivityLog)  # the failed batch deleted nothing
    assert len(await ids(ActivityLogArchive)) == 1


async def test_finding_5_the_daily_cron_purges_old_rate_limit_rows_of_every_bucket(client) -> None:  # type: ignore[no-untyped-def]
    from lib.models.rate_limits import RateLimitHit

    buckets = ["chatbot:7", "ideas:7", "verify:user:7", "register:ip:192.0.2.1", "activity-anonymous:all"]
    async with session() as db:
        for bucket in buckets:
            await db.execute(insert(RateLimitHit).values(bucket=bucket, created_at=days_ago(2)))
        await db.execute(insert(RateLimitHit).values(bucket="chatbot:7", created_at=days_ago(0.01)))
    body = (await client.get("/api/cron/archive", headers=CRON)).json()
    assert body["rate_limit_hits_purged"] == len(buckets)
    async with session() as db:
        left = (await db.execute(select(RateLimitHit.bucket, RateLimitHit.created_at))).all()
    assert [row.bucket for row in left] == ["chatbot:7"] and left[0].created_at > days_ago(1)
    assert (await client.get("/api/cron/archive", headers=CRON)).json()["rate_limit_hits_purged"] == 0
