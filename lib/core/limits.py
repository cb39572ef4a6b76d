"""Limits the database sets on values: the largest id, and the one character text cannot hold."""

from __future__ import annotations

from typing import Any

# PostgreSQL bigint: ids outside 1..MAX_DB_ID name no row (and would overflow in SQL).
MAX_DB_ID = 2**63 - 1
NUL = "\x00"


def is_db_id(value: object) -> bool:
    """True for an int that a bigint id column can hold (bool is not an id)."""
    return type(value) is int and 0 < value <= MAX_DB_ID


def has_nul(value: Any) -> bool:
    """Whether any string in `value` (nested lists, tuples, dict keys and values) holds NUL."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, (list, tuple)):
        return any(has_nul(item) for item in value)
    if isinstance(value, dict):
        return any(has_nul(key) or has_nul(item) for key, item in value.items())
    return False


def without_nul(value: Any) -> Any:
    """`value` with NUL removed from every string in it: for what must be stored whatever was sent."""
    if isinstance(value, str):
        return value.replace(NUL, "")
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    return value
