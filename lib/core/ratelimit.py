"""Rate limits kept in Postgres, so every serverless instance sees the same counts."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from lib.core.db import session
from lib.core.errors import RateLimited
from lib.models.rate_limits import RateLimitHit


@dataclass(frozen=True)
class Budget:
    """At most `limit` hits per key inside `window`: one per kind of work, whichever route spends it."""

    name: str
    limit: int
    window: timedelta

    def bucket(self, key: object) -> str:
        return f"{self.name}:{key}"


async def _window(db: AsyncSession, bucket: str, window: timedelta) -> tuple[int, datetime | None]:
    since = datetime.now(UTC) - window
    count, oldest = (
        await db.execute(
            select(func.count(), func.min(RateLimitHit.created_at)).where(
                RateLimitHit.bucket == bucket, RateLimitHit.created_at > since
            )
        )
    ).one()
    return count, oldest


def _retry_after(oldest: datetime | None, window: timedelta) -> int:
    if oldest is None:
        return 1
    return max(1, math.ceil((oldest + window - datetime.now(UTC)).total_seconds()))


async def ensure_allowed(db: AsyncSession, bucket: str, *, limit: int, window: timedelta) -> None:
    """429 with Retry-After when `bucket` already has `limit` hits inside `window`."""
    count, oldest = await _window(db, bucket, window)
    if count >= limit:
        raise RateLimited(_retry_after(oldest, window))


async def record(db: AsyncSession, bucket: str) -> None:
    """Count one hit against `bucket`."""
    await db.execute(insert(RateLimitHit).values(bucket=bucket))


async def reset(db: AsyncSession, bucket: str) -> None:
    """Forget every hit of `bucket` (e.g. after a successful login)."""
    await db.execute(delete(RateLimitHit).where(RateLimitHit.bucket == bucket))


async def hit(db: AsyncSession, bucket: str, *, limit: int, window: timedelta) -> None:
    """Check the limit, then count this call: for limits on successful actions (chatbot, ideas)."""
    await ensure_allowed(db, bucket, limit=limit, window=window)
    await db.execute(
        delete(RateLimitHit).where(
            RateLimitHit.bucket == bucket, RateLimitHit.created_at < datetime.now(UTC) - window
        )
    )
    await record(db, bucket)


async def acquire(bucket: str, *, limit: int, window: timedelta) -> None:
    """Count one attempt against `bucket` in its own committed transaction; 429 once at `limit`.

    For limits on failures (logins): the attempt counts before its outcome is known and the
    caller `reset`s the bucket when it succeeds. The check and the count are one step under a
    per-bucket lock, so concurrent attempts cannot all pass the same check. Call it before the
    request's own transaction uses the database: one request never waits for a second connection.
    """
    async with session() as db:
        await db.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(bucket, 0))))
        await ensure_allowed(db, bucket, limit=limit, window=window)
        await db.execute(
            delete(RateLimitHit).where(
                RateLimitHit.bucket == bucket, RateLimitHit.created_at < datetime.now(UTC) - window
            )
        )
        await record(db, bucket)


async def spend(db: AsyncSession, budget: Budget, key: object) -> None:
    """Spend one unit of `budget` for `key` in the request's unit of work; 429 once it is used up."""
    await hit(db, budget.bucket(key), limit=budget.limit, window=budget.window)
