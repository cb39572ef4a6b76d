"""AWS Signature Version 4 in the query string (presigned URLs), with the standard library alone.

A presigned URL lets a client (or this API) talk to the bucket without a key: the method, the object,
the expiry and every header named in `headers` are part of the signature, so storage refuses the
request if any of them differs (another content type, another length). boto3 would cost a cold
start hundreds of milliseconds of imports for these forty lines (docs/DEPLOYMENT.md has the numbers).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_EXPIRES = 604_800  # S3's limit for a presigned URL: one week


@dataclass(frozen=True)
class Credentials:
    """Where objects live and the key that signs for them."""

    endpoint: str  # scheme://host[:port] of the bucket's API
    bucket: str
    region: str
    access_key_id: str
    secret_access_key: str = field(repr=False)
    path_style: bool = True  # endpoint/bucket/key (MinIO, R2, local); False: bucket.endpoint/key (AWS)


def _encode(text: str, safe: str = "-_.~") -> str:
    # SigV4 encodes everything but the unreserved characters (RFC 3986), spaces as %20.
    return quote(text, safe=safe)


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def _signing_key(secret: str, day: str, region: str) -> bytes:
    key = _hmac(f"AWS4{secret}".encode(), day)
    for part in (region, "s3", "aws4_request"):
        key = _hmac(key, part)
    return key


def object_url(credentials: Credentials, key: str) -> str:
    """The object's URL without a signature (the key's path segments encoded once)."""
    parts = urlsplit(credentials.endpoint)
    path = _encode(key, safe="-_.~/")
    if credentials.path_style:
        return f"{parts.scheme}://{parts.netloc}/{credentials.bucket}/{path}"
    return f"{parts.scheme}://{credentials.bucket}.{parts.netloc}/{path}"


def presign(
    credentials: Credentials,
    method: str,
    key: str,
    *,
    expires: int,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    now: datetime | None = None,
) -> str:
    """A URL that performs `method` on object `key` until `expires` seconds after `now`.

    The request must carry every header of `headers` with exactly that value; `query` adds
    signed parameters (such as `response-content-disposition`).
    """
    if not 1 <= expires <= MAX_EXPIRES:
        raise ValueError(f"expires must be between 1 and {MAX_EXPIRES} seconds")
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    stamp, day = moment.strftime("%Y%m%dT%H%M%SZ"), moment.strftime("%Y%m%d")
    url = object_url(credentials, key)
    parts = urlsplit(url)
    signed = {
        "host": parts.netloc,
        **{name.lower(): value.strip() for name, value in (headers or {}).items()},
    }
    names = sorted(signed)
    scope = f"{day}/{credentials.region}/s3/aws4_request"
    params = {
        **(query or {}),
        "X-Amz-Algorithm": ALGORITHM,
        "X-Amz-Credential": f"{credentials.access_key_id}/{scope}",
        "X-Amz-Date": stamp,
        "X-Amz-Expires": str(expires),
        "X-Amz-SignedHeaders": ";".join(names),
    }
    canonical_query = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(params.items()))
    canonical_request = "\n".join(
        [
            method.upper(),
            parts.path,
            canonical_query,
            "".join(f"{name}:{signed[name]}\n" for name in names),
            ";".join(names),
            "UNSIGNED-PAYLOAD",  # the body is not hashed: a client streams it straight to storage
        ]
    )
    string_to_sign = "\n".join(
        [ALGORITHM, stamp, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    signature = hmac.new(
        _signing_key(credentials.secret_access_key, day, credentials.region),
        string_to_sign.encode(),
        hashlib.sha256,
    ).hexdigest()
    return f"{url}?{canonical_query}&X-Amz-Signature={signature}"
