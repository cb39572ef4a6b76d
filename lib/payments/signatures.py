"""HMAC-SHA256 signatures compared in constant time (Razorpay's checkout and webhook signatures)."""

from __future__ import annotations

import hashlib
import hmac


def hmac_sha256_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def matches(secret: str, message: bytes, signature: str | None) -> bool:
    """Whether `signature` is the hex HMAC-SHA256 of `message` under `secret`; never raises."""
    if not signature or len(signature) > 200:
        return False
    return hmac.compare_digest(hmac_sha256_hex(secret, message), signature.strip().lower())
