"""The API's own calls to the bucket, each through a short-lived presigned URL: HEAD, a ranged GET, DELETE."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lib.core import config
from lib.storage.signing import Credentials, presign

if TYPE_CHECKING:
    import httpx

# The API's own requests: signed for a minute, and a person is waiting on each.
_SIGNED_FOR = 60
_TIMEOUT_SECONDS = 5.0


class StorageUnavailable(Exception):
    """Storage did not answer, or answered with an error that is not about the object (a 5xx, a 403)."""


@dataclass(frozen=True)
class StoredObject:
    size: int
    content_type: str | None


def credentials() -> Credentials:
    """The bucket and key of the settings, as the signer takes them."""
    settings = config.get_settings()
    target = settings.storage
    return Credentials(
        endpoint=target.endpoint,
        bucket=target.bucket,
        region=target.region,
        access_key_id=settings.storage_access_key_id,
        secret_access_key=settings.storage_secret_access_key,
        path_style=target.path_style,
    )


async def _send(method: str, key: str, headers: dict[str, str] | None = None) -> httpx.Response:
    # Late import: httpx (about 60 ms) only for the requests that talk to storage, never for a
    # presign or a list.
    import httpx

    url = presign(credentials(), method, key, expires=_SIGNED_FOR)
    try:
        async with httpx.AsyncClient(timeout=_TIMEOUT_SECONDS) as client:
            response = await client.request(method, url, headers=headers)
    except httpx.HTTPError as error:
        raise StorageUnavailable(f"{method} failed: {type(error).__name__}") from None
    if response.status_code >= 500 or response.status_code in (401, 403):
        raise StorageUnavailable(f"{method} answered {response.status_code}")
    return response


async def stat(key: str) -> StoredObject | None:
    """The object's size and type, or None when there is no such object."""
    response = await _send("HEAD", key)
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise StorageUnavailable(f"HEAD answered {response.status_code}")
    return StoredObject(
        int(response.headers.get("content-length", "0")), response.headers.get("content-type")
    )


async def read(key: str, start: int, end: int) -> bytes | None:
    """Bytes `start`..`end` (inclusive) of the object, fewer if it is shorter; None if it is gone."""
    response = await _send("GET", key, {"Range": f"bytes={start}-{end}"})
    if response.status_code == 404:
        return None
    if response.status_code not in (200, 206):
        raise StorageUnavailable(f"GET answered {response.status_code}")
    # A server that ignores Range sends the whole object (200): keep only what was asked for.
    return response.content if response.status_code == 206 else response.content[start : end + 1]


async def remove(key: str) -> None:
    """Delete the object; one that is already gone counts as removed (S3's DELETE is idempotent)."""
    response = await _send("DELETE", key)
    if response.status_code not in (200, 204, 404):
        raise StorageUnavailable(f"DELETE answered {response.status_code}")
