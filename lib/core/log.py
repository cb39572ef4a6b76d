"""Structured logging (structlog): JSON on Vercel, console locally, secrets always redacted."""

from __future__ import annotations

import logging
import re
import sys
import uuid
from collections.abc import MutableMapping
from typing import Any

import structlog

from lib.core.config import get_settings

REDACTED = "[REDACTED]"
# Any key that names a credential, however a caller spells it.
_SECRET_KEY = re.compile(
    r"pass(word|wd|phrase)|pwd|token|secret|authori[sz]ation|api[_-]?key|cookie|credential|jwt|session_key",
    re.IGNORECASE,
)
# Credentials embedded in free text: bearer tokens, JWTs, URL passwords.
_SECRET_TEXT = (
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+"), r"\1 " + REDACTED),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
    (re.compile(r"(?i)(\w+://[^:/@\s]+:)[^@\s]+@"), r"\1" + REDACTED + "@"),
    # `password=…`, `api_key: …` written into free text (exception messages, SQL comments).
    (
        re.compile(r"(?i)\b(pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key)(\s*[=:]\s*)[^\s,;&]+"),
        r"\1\2" + REDACTED,
    ),
)
# Every pattern above needs one of these: a string without any (nearly every log value: paths,
# ids, event names) is returned as is after one search instead of four substitutions.
_MAYBE_SECRET_TEXT = re.compile(r"(?i)bearer|eyJ|://|pass|pwd|secret|token|api[_-]?key")

_configured = False


def redact(value: Any) -> Any:
    """Return `value` with every secret-looking key or text replaced by a marker."""
    if isinstance(value, dict):
        return {
            key: REDACTED if isinstance(key, str) and _SECRET_KEY.search(key) else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact(item) for item in value]
    if isinstance(value, str):
        if _MAYBE_SECRET_TEXT.search(value) is None:
            return value
        for pattern, replacement in _SECRET_TEXT:
            value = pattern.sub(replacement, value)
        return value
    return value


def _redact_processor(_logger: Any, _name: str, event_dict: MutableMapping[str, Any]) -> dict[str, Any]:
    redacted: dict[str, Any] = redact(dict(event_dict))
    return redacted


def configure_logging() -> None:
    """Configure structlog once per process; later calls do nothing."""
    global _configured
    if _configured:
        return
    settings = get_settings()
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if settings.log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            _redact_processor,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[settings.log_level]
        ),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
    _configured = True


def get_logger(name: str) -> Any:
    """A structlog logger bound to `name` (configures logging on first use)."""
    configure_logging()
    return structlog.get_logger(name)


def new_request_id(vercel_id: str | None) -> str:
    """Vercel's own request id when present (so logs join up), else a fresh one."""
    if vercel_id and len(vercel_id) <= 128 and vercel_id.isprintable():
        return vercel_id
    return uuid.uuid4().hex


def bind_request(request_id: str) -> None:
    """Bind the request id to every log line of the current request."""
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id)


def current_request_id() -> str | None:
    """The request id bound for the current request, if any."""
    return structlog.contextvars.get_contextvars().get("request_id")
