"""The outside AI provider: its settings and one OpenAI-compatible chat-completions call."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from lib.core import config
from lib.core.db import release
from lib.core.limits import without_nul
from lib.core.log import get_logger

log = get_logger("ai")

# Where an answer came from (`source` columns); an idea's is one of lib.models.statuses.IDEA_SOURCES.
PROVIDER: Final = "provider"
BUILTIN: Final = "builtin"
FALLBACK: Final = "fallback"  # a chat reply: the provider is configured but failed
MODEL_NAME_CHARS = 100  # the width of the `model` columns
# A completion is a few kilobytes; past this the reply is dropped (never read whole into memory).
MAX_REPLY_BYTES = 1024 * 1024


class ReplyTooLarge(Exception):
    """The provider's body passed MAX_REPLY_BYTES."""


@dataclass(frozen=True)
class ProviderConfig:
    url: str
    key: str = field(repr=False)
    model: str
    timeout: float


def provider_config() -> ProviderConfig | None:
    """The provider when AI_API_URL, AI_API_KEY and AI_MODEL are all set, else None (built-in only)."""
    settings = config.get_settings()  # through the module, so tests can swap the settings
    if not (settings.ai_api_url and settings.ai_api_key and settings.ai_model):
        return None
    return ProviderConfig(
        url=settings.ai_api_url,
        key=settings.ai_api_key,
        model=settings.ai_model[:MODEL_NAME_CHARS],
        timeout=settings.ai_timeout_seconds,
    )


async def complete(
    provider: ProviderConfig, messages: list[dict[str, str]], db: AsyncSession | None = None
) -> str | None:
    """The provider's reply text; None on timeout, transport error, non-2xx or a malformed/empty body.

    `provider.timeout` bounds the whole call (connect, send, every byte of the reply), not each
    read: httpx's timeout restarts with each chunk, so a server dribbling a byte at a time would
    hold the request open for as long as it liked. The body is read up to MAX_REPLY_BYTES.
    With `db`, the request's transaction is committed first, so no pooled connection waits on us.
    """
    import httpx  # only requests that reach the provider pay for importing httpx

    if db is not None:
        await release(db)

    try:
        async with asyncio.timeout(provider.timeout):
            body = await _post(provider, messages)
        content = json.loads(body)["choices"][0]["message"]["content"]
    except httpx.HTTPStatusError as error:
        log.warning("ai_provider_failed", reason="http_status", status=error.response.status_code)
        return None
    except ReplyTooLarge:
        log.warning("ai_provider_failed", reason="reply_too_large", limit_bytes=MAX_REPLY_BYTES)
        return None
    except (ValueError, KeyError, IndexError, TypeError):
        log.warning("ai_provider_failed", reason="malformed_body")
        return None
    except Exception as error:  # timeouts, transport and URL errors: the user still gets an answer
        # Only the class name: an error's text may echo the URL, which can carry a key.
        log.warning("ai_provider_failed", reason=type(error).__name__)
        return None
    if not isinstance(content, str) or not content.strip():
        log.warning("ai_provider_failed", reason="empty_body")
        return None
    text: str = without_nul(content)  # PostgreSQL text cannot hold NUL
    return text.strip()


async def _post(provider: ProviderConfig, messages: list[dict[str, str]]) -> bytes:
    """POST the messages and read the reply's body, at most MAX_REPLY_BYTES of it."""
    import httpx  # imported by complete() already; late for the same reason

    async with httpx.AsyncClient(timeout=provider.timeout) as client:
        request = client.build_request(
            "POST",
            provider.url,
            json={"model": provider.model, "messages": messages},
            headers={"Authorization": f"Bearer {provider.key}"},
        )
        response = await client.send(request, stream=True)
        try:
            response.raise_for_status()
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_REPLY_BYTES:
                raise ReplyTooLarge()
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_REPLY_BYTES:
                    raise ReplyTooLarge()
            return bytes(body)
        finally:
            await response.aclose()
