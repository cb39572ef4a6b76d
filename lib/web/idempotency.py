"""`Idempotency-Key` on money-bearing POSTs: the first response stored with its request fingerprint, replayed.

The key is claimed by an `INSERT … ON CONFLICT` in the request's own transaction, and the response
is stored in that transaction too: a concurrent request with the same key waits on the unique key
until the first commits, then replays its response (or runs, if the first rolled back). A route
that releases its connection mid-request (checkout, around the provider call) commits the claim
early; a request finding such a claim still open waits for it briefly, then gets a 409.
"""

from __future__ import annotations

import asyncio
import hashlib
import time

from sqlalchemy import delete, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from lib.core.errors import Conflict, field_error
from lib.models.idempotency_keys import IdempotencyKey

HEADER = "idempotency-key"
KEY_MAX = 255
KEPT = "24 hours"
# A claim with no response this old belongs to a request that died (a frozen or killed function).
ABANDONED = "60 seconds"
WAIT_SECONDS = 5.0


class IdempotencyConflict(Conflict):
    code, default_message = "idempotency_conflict", "This Idempotency-Key was used with a different request"


class IdempotencyInProgress(Conflict):
    code, default_message = "idempotency_in_progress", "A request with this Idempotency-Key is still running"

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": "1"})


def requested_key(request: Request) -> str | None:
    """The request's Idempotency-Key: printable ASCII, 1-255 characters (a 422 otherwise)."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= KEY_MAX or not key.isascii() or not key.isprintable():
        raise field_error(["header", "Idempotency-Key"], f"must be 1-{KEY_MAX} printable ASCII characters")
    return key


def fingerprint(request: Request, body: bytes) -> str:
    """What makes two requests the same: method, path and the exact body."""
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.url.path.encode(), body):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def _replay(row: IdempotencyKey) -> Response:
    assert row.status_code is not None and row.response_body is not None
    return Response(
        row.response_body.encode(),
        status_code=row.status_code,
        media_type="application/json",
        headers={"Idempotent-Replayed": "true"},
    )


async def claim(db: AsyncSession, user_id: int, key: str, request_fingerprint: str) -> Response | None:
    """Take the key for this request (None), or the first request's response to replay."""
    expired = or_(
        IdempotencyKey.created_at < text(f"now() - interval '{KEPT}'"),
        (IdempotencyKey.status_code.is_(None))
        & (IdempotencyKey.created_at < text(f"now() - interval '{ABANDONED}'")),
    )
    statement = (
        insert(IdempotencyKey)
        .values(user_id=user_id, key=key, fingerprint=request_fingerprint)
        .on_conflict_do_update(
            index_elements=[IdempotencyKey.user_id, IdempotencyKey.key],
            set_={
                "fingerprint": request_fingerprint,
                "status_code": None,
                "response_body": None,
                "created_at": text("now()"),
            },
            where=expired,
        )
        .returning(IdempotencyKey.user_id)
    )
    if await db.scalar(statement) is not None:
        return None
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        # Each statement sees what has committed since (READ COMMITTED), inside this transaction too.
        row = await db.scalar(
            select(IdempotencyKey)
            .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
            .execution_options(populate_existing=True)
        )
        if row is None:  # the first request failed and let its claim go: this one runs instead
            return await claim(db, user_id, key, request_fingerprint)
        if row.fingerprint != request_fingerprint:
            raise IdempotencyConflict()
        if row.status_code is not None:
            return _replay(row)
        if time.monotonic() > deadline:
            raise IdempotencyInProgress()
        await asyncio.sleep(0.1)


async def complete(db: AsyncSession, user_id: int, key: str, response: Response) -> None:
    """Store the response the key replays from now on, in the work's own transaction."""
    await db.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
        .values(status_code=response.status_code, response_body=bytes(response.body).decode())
        .execution_options(synchronize_session=False)
    )


async def purge_expired() -> int:
    """Delete the keys older than a day (the daily cron): a key replays for 24 hours only. How many went."""
    from lib.core.db import session

    async with session() as db:
        gone = await db.execute(
            delete(IdempotencyKey)
            .where(IdempotencyKey.created_at < text(f"now() - interval '{KEPT}'"))
            .returning(IdempotencyKey.key)
        )
        return len(gone.all())


async def abandon(user_id: int, key: str) -> None:
    """Let the key go after a failure that came once the claim was committed (it stays in no other case)."""
    from lib.core.db import session

    async with session() as db:
        await db.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id,
                IdempotencyKey.key == key,
                IdempotencyKey.status_code.is_(None),
            )
        )
