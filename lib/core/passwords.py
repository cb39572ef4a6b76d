"""Password hashing with Argon2: hash, constant-time verify, rehash check."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from argon2 import PasswordHasher


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    # Late: a request that only checks a token never loads argon2 (5 ms of import).
    from argon2 import PasswordHasher

    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Verified against when the email is unknown, so both paths cost one Argon2 verification.
    return _hasher().hash("launchpad-timing-equaliser")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant-time check; an unknown user (`None`) costs the same as a wrong password."""
    from argon2.exceptions import InvalidHashError, VerificationError  # late, as in _hasher()

    try:
        _hasher().verify(password_hash or _dummy_hash(), password)  # raises unless it matches
    except (VerificationError, InvalidHashError):
        return False
    return password_hash is not None


# Argon2 off the event loop, but on few threads: each hash is 64 MiB and a CPU for ~0.3 s, and a burst
# of them on every core (asyncio's default pool has cpu+4 threads) starves the event loop until
# waits for a pooled connection time out (503s). Requests queue here holding no connection instead.
_ARGON2 = ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 1) // 2), thread_name_prefix="argon2")


async def hashed(password: str) -> str:
    """`hash_password` on the Argon2 threads."""
    return await asyncio.get_running_loop().run_in_executor(_ARGON2, hash_password, password)


async def verified(password_hash: str | None, password: str) -> bool:
    """`verify_password` on the Argon2 threads."""
    return await asyncio.get_running_loop().run_in_executor(_ARGON2, verify_password, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with older Argon2 parameters than the current ones."""
    return _hasher().check_needs_rehash(password_hash)
