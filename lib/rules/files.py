"""Files: which rows a caller sees, the presigned upload and download, the check before `ready`, the sweep."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from lib.core.errors import Conflict, ServiceUnavailable
from lib.core.log import get_logger
from lib.models.files import File
from lib.models.users import User
from lib.rules.ownership import not_found, owned
from lib.schemas.files import EXTENSIONS
from lib.storage import objects
from lib.storage.objects import StorageUnavailable
from lib.storage.signing import presign

log = get_logger("files")

UPLOAD_SECONDS = 15 * 60  # time to start the PUT; S3 then lets a started upload finish
DOWNLOAD_SECONDS = 5 * 60  # a download link is for clicking now, not for sharing
STALE_AFTER = timedelta(days=1)  # a pending upload this old is abandoned: the cron removes it
HEAD_BYTES = 16
# docx and pptx are zip files: their central directory (at the end) names the part that makes them one.
TAIL_BYTES = 64 * 1024
_ZIP = b"PK\x03\x04"
_SIGNATURES: dict[str, tuple[bytes, tuple[bytes, ...]]] = {
    "application/pdf": (b"%PDF-", ()),
    "image/png": (b"\x89PNG\r\n\x1a\n", ()),
    "image/jpeg": (b"\xff\xd8\xff", ()),
    "application/zip": (_ZIP, ()),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (
        _ZIP,
        (b"[Content_Types].xml", b"word/document.xml"),
    ),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (
        _ZIP,
        (b"[Content_Types].xml", b"ppt/presentation.xml"),
    ),
}
_UNSAFE_IN_HEADER = re.compile(r"[^A-Za-z0-9._ -]")


def unavailable(error: StorageUnavailable) -> ServiceUnavailable:
    log.warning("storage_unavailable", error=str(error))
    return ServiceUnavailable("File storage is unavailable; nothing was changed, try again shortly")


# --- which rows ---------------------------------------------------------------------------------


# A file being deleted is gone for everyone: its object is on its way out of storage.
NOT_DELETING = File.status != "deleting"


async def get_file(
    db: AsyncSession, file_id: int, user: User, *, admin_sees_all: bool = True, for_update: bool = False
) -> File:
    """File `file_id` if `user` may see it, else 404 (another user's file does not exist for them)."""
    statement = select(File).where(*owned(File, file_id, user, admin_sees_all=admin_sees_all), NOT_DELETING)
    row = await db.scalar(statement.with_for_update() if for_update else statement)
    if row is None:
        raise not_found(File, file_id)
    return row


# --- presigned URLs -------------------------------------------------------------------------------


def storage_key(purpose: str, user_id: int, content_type: str) -> str:
    """A key nobody can guess or collide with; the user's name for the file stays in the row."""
    return f"{purpose}/{user_id}/{uuid.uuid4().hex}{EXTENSIONS[content_type][0]}"


def upload(file: File, now: datetime | None = None) -> dict[str, Any]:
    """The PUT a client sends the bytes with: type and length are signed, so storage refuses others."""
    moment = now or datetime.now(UTC)
    headers = {"Content-Type": file.content_type, "Content-Length": str(file.size_bytes)}
    url = presign(
        objects.credentials(), "PUT", file.storage_key, expires=UPLOAD_SECONDS, headers=headers, now=moment
    )
    expires_at = moment.replace(microsecond=0) + timedelta(seconds=UPLOAD_SECONDS)
    return {"method": "PUT", "url": url, "headers": headers, "expires_at": expires_at}


def download(file: File, now: datetime | None = None) -> tuple[str, datetime]:
    """A GET of the bytes for DOWNLOAD_SECONDS, saved under the uploaded name; and when it expires."""
    moment = now or datetime.now(UTC)
    name = _UNSAFE_IN_HEADER.sub("_", file.filename)
    query = {
        "response-content-disposition": f'attachment; filename="{name}"',
        "response-content-type": file.content_type,
    }
    url = presign(
        objects.credentials(), "GET", file.storage_key, expires=DOWNLOAD_SECONDS, query=query, now=moment
    )
    return url, moment.replace(microsecond=0) + timedelta(seconds=DOWNLOAD_SECONDS)


# --- the check before `ready` -----------------------------------------------------------------------


def looks_like(content_type: str, head: bytes, tail: bytes) -> bool:
    """Whether the first bytes (and, for docx and pptx, the last) are those of `content_type`."""
    magic, names = _SIGNATURES[content_type]
    return head.startswith(magic) and all(name in tail for name in names)


async def check_stored(file: File) -> str | None:
    """Why the stored object is not the declared file (None: it is). A mismatching object is removed.

    Raises StorageUnavailable when storage cannot say.
    """
    stored = await objects.stat(file.storage_key)
    if stored is None:
        return f"File {file.id} has not been uploaded yet: PUT it to the upload URL first"
    reason = None
    if stored.size != file.size_bytes:
        reason = f"File {file.id} was declared as {file.size_bytes} bytes but {stored.size} were stored"
    else:
        head = await objects.read(file.storage_key, 0, HEAD_BYTES - 1) or b""
        tail = b""
        if _SIGNATURES[file.content_type][1]:
            start = max(0, stored.size - TAIL_BYTES)
            tail = await objects.read(file.storage_key, start, stored.size - 1) or b""
        if not looks_like(file.content_type, head, tail):
            reason = f"File {file.id} is not a {EXTENSIONS[file.content_type][0][1:]} file"
    if reason is not None:
        await objects.remove(file.storage_key)
    return reason


async def complete(db: AsyncSession, file: File) -> File:
    """Mark `file` ready once its object checks out; 409 (the object removed) when it does not."""
    if file.status == "ready":
        return file  # a retried complete: already checked
    try:
        reason = await check_stored(file)
    except StorageUnavailable as error:
        raise unavailable(error) from None
    if reason is not None:
        raise Conflict(reason)
    file.status = "ready"
    await db.flush()
    return file


async def remove(db: AsyncSession, file: File) -> None:
    """The object first, then the row: if storage is down the row stays (503) and a retry finishes."""
    try:
        await objects.remove(file.storage_key)
    except StorageUnavailable as error:
        raise unavailable(error) from None
    await db.delete(file)
    await db.flush()


# --- the daily sweep -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    removed: int
    remaining: int
    storage_ok: bool


def _due() -> ColumnElement[bool]:
    """Rows whose object and row go: an account's files, and uploads abandoned for a day."""
    stale = and_(File.status == "pending", File.created_at < func.now() - STALE_AFTER)
    return or_(File.status == "deleting", stale)


async def sweep(*, limit: int, deadline: float) -> SweepResult:
    """Remove due objects, then their rows, oldest first, until `limit`, `deadline` or a storage failure.

    A row goes only after its object is gone, so a storage outage leaves the rows for the next run:
    nothing is lost, nothing is left behind.
    """
    from lib.core.db import session

    removed, storage_ok = 0, True
    async with session() as db:
        statement = select(File).where(_due()).order_by(File.created_at, File.id).limit(limit)
        rows = (await db.scalars(statement.with_for_update(skip_locked=True))).all()
        for row in rows:
            if time.monotonic() > deadline:
                break
            try:
                await objects.remove(row.storage_key)
            except StorageUnavailable as error:
                log.warning("file_sweep_storage_unavailable", error=str(error))
                storage_ok = False
                break
            await db.delete(row)
            removed += 1
    async with session(autocommit=True) as db:
        remaining = await db.scalar(select(func.count()).select_from(File).where(_due())) or 0
    return SweepResult(removed=removed, remaining=remaining, storage_ok=storage_ok)
