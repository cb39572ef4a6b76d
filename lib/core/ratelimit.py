"""Rate limits kept in Postgres, so every serverless instance sees the same counts."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from lib.core.db import session
from lib.core.errors import RateLimited
from lib.models.rate_limits import RateLimitHit

# Longer than any limit's window: a hit older than this counts for nothing (purged by the daily cron).
MAX_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class Budget:
    """At most `limit` hits per key inside `window`: one per kind of work, whichever route spends it."""

    name: str
    limit: int
    window: timedelta

    def bucket(self, key: object) -> str:
        return f"{self.name}:{key}"


def _retry_after(oldest: datetime | None, window: timedelta) -> int:
    if oldest is None:
        return 1
    return max(1, math.ceil((oldest + window - datetime.now(UTC)).total_seconds()))


async def _count_if_allowed(db: AsyncSession, bucket: str, limit: int, window: timedelta) -> int:
    """Under the bucket's lock, in one statement: drop hits older than `window`, and count this one
    only while fewer than `limit` are inside it; else 429 with Retry-After.

    The lock comes first, in a statement of its own: a statement's snapshot is taken when it starts,
    so a check in the locking statement would not see the hit its predecessor just committed. The
    lock is held until the transaction ends, and that transaction also commits the hit, so no other
    caller can check between this one's check and its count (exact under any concurrency).
    """
    await db.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(bucket, 0))))
    since = datetime.now(UTC) - window
    inside = (
        select(func.count())
        .select_from(RateLimitHit)
        .where(RateLimitHit.bucket == bucket, RateLimitHit.created_at > since)
        .scalar_subquery()
    )
    purge = (
        delete(RateLimitHit)
        .where(RateLimitHit.bucket == bucket, RateLimitHit.created_at <= since)
        .returning(RateLimitHit.id)
        .cte("purge")
    )
    allowed = select(literal(bucket)).where(inside < limit)
    statement = (
        insert(RateLimitHit).from_select(["bucket"], allowed).returning(RateLimitHit.id).add_cte(purge)
    )
    counted = (await db.execute(statement)).scalar()
    if counted is None:
        oldest = await db.scalar(
            select(func.min(RateLimitHit.created_at)).where(
                RateLimitHit.bucket == bucket, RateLimitHit.created_at > since
            )
        )
        raise RateLimited(_retry_after(oldest, window))
    return int(counted)


async def reset(db: AsyncSession, bucket: str) -> None:
    """Forget every hit of `bucket` (e.g. after a successful login)."""
    await db.execute(delete(RateLimitHit).where(RateLimitHit.bucket == bucket))


async def hit(db: AsyncSession, bucket: str, *, limit: int, window: timedelta) -> None:
    """Check and count this call in the request's own transaction: for limits on successful actions
    (chatbot, ideas), so a request that fails afterwards rolls its hit back. The route must run in a
    transaction (`transaction=True`): the bucket's lock lasts until it commits."""
    await _count_if_allowed(db, bucket, limit, window)


async def acquire(bucket: str, *, limit: int, window: timedelta) -> int:
    """Count one attempt against `bucket` in its own committed transaction; 429 once at `limit`.

    For limits on failures (logins): the attempt counts before its outcome is known and the
    caller `reset`s the bucket, or `refund`s this hit (the id returned), when it succeeds. Call it
    before the request's own transaction uses the database: one request never waits for a second
    connection.
    """
    return (await acquire_all({bucket: limit}, window=window))[0]


async def acquire_all(limits: dict[str, int], *, window: timedelta) -> list[int]:
    """`acquire` for several buckets (bucket -> limit) in one transaction: all counted, or none and 429.

    One connection for all of them; the locks are taken in one order (sorted), so two callers
    sharing buckets never wait on each other in a cycle. The hit ids come back in `limits` order.
    """
    async with session() as db:
        ids = {
            bucket: await _count_if_allowed(db, bucket, limits[bucket], window) for bucket in sorted(limits)
        }
    return [ids[bucket] for bucket in limits]


async def refund(db: AsyncSession, hit_ids: list[int]) -> None:
    """Take back these hits (attempts that turned out to succeed), leaving the bucket's others."""
    await db.execute(delete(RateLimitHit).where(RateLimitHit.id.in_(hit_ids)))


async def spend(db: AsyncSession, budget: Budget, key: object) -> None:
    """Spend one unit of `budget` for `key` in the request's unit of work; 429 once it is used up."""
    await hit(db, budget.bucket(key), limit=budget.limit, window=budget.window)


async def purge_expired(older_than: timedelta = MAX_WINDOW) -> int:
    """Delete every hit older than `older_than` in any bucket: a bucket nobody hits again would
    otherwise keep its rows for ever (each hit only purges its own bucket). How many went."""
    async with session() as db:
        cutoff = datetime.now(UTC) - older_than
        gone = await db.execute(
            delete(RateLimitHit).where(RateLimitHit.created_at < cutoff).returning(RateLimitHit.id)
        )
        return len(gone.all())
