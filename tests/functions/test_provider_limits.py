"""The AI provider call: one total deadline and a cap on bytes read, against real local HTTP servers."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable

import httpx
import pytest

from lib.assistant.provider import MAX_REPLY_BYTES, ProviderConfig, complete
from tests.functions.chatbot_support import chat, session_rows

TIMEOUT = 1.0
# The test's own bound: a call that ignores its deadline fails here instead of hanging the suite.
GIVE_UP = 10 * TIMEOUT
# What a call may take past its deadline on a loaded machine (a garbage collection, the scheduler);
# a call that ignored the deadline would take seconds more (the dribble alone lasts 4.7 s).
MARGIN = 1.0
HEADERS = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n"
Handler = Callable[[asyncio.StreamWriter], Awaitable[None]]


class Server:
    """A real HTTP server on a loopback port that answers every POST with `handler`."""

    def __init__(self, handler: Handler) -> None:
        self.handler, self.sent = handler, 0
        self.url = ""

    async def __aenter__(self) -> Server:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await reader.readuntil(b"\r\n\r\n")  # the request's head; its body is not needed
                await self.handler(writer)
            except (ConnectionError, asyncio.IncompleteReadError):
                pass  # the client hung up: what the test wants
            finally:
                writer.close()

        self._server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/v1/chat/completions"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()


async def dribble(server: Server, writer: asyncio.StreamWriter) -> None:
    """A valid-looking reply, one byte every 0.1 s: no read ever waits long enough to time out."""
    writer.write(HEADERS + b"transfer-encoding: chunked\r\n\r\n")
    for byte in b'{"choices": [{"message": {"content": "slow"}}]}' * 100:
        writer.write(b"1\r\n" + bytes([byte]) + b"\r\n")
        await writer.drain()
        server.sent += 1
        await asyncio.sleep(0.1)


async def flood(server: Server, writer: asyncio.StreamWriter) -> None:
    """200 MiB of reply without a Content-Length, as fast as the client takes it."""
    writer.write(HEADERS + b"\r\n" + b'{"choices": [{"message": {"content": "')
    chunk = b"x" * 65536
    for _ in range(200 * 16):
        writer.write(chunk)
        await writer.drain()
        server.sent += len(chunk)


async def declared_huge(server: Server, writer: asyncio.StreamWriter) -> None:
    writer.write(HEADERS + f"content-length: {200 * 1024 * 1024}\r\n\r\n".encode() + b"{")
    await writer.drain()
    await asyncio.sleep(30)


def config(url: str) -> ProviderConfig:
    return ProviderConfig(url=url, key="sk-local-0123456789", model="local-model", timeout=TIMEOUT)


async def test_finding_8_a_dribbling_provider_is_cut_off_at_the_deadline() -> None:
    server: Server
    async with Server(lambda writer: dribble(server, writer)) as server:
        started = time.perf_counter()
        reply = await asyncio.wait_for(
            complete(config(server.url), [{"role": "user", "content": "hi"}]), GIVE_UP
        )
        elapsed = time.perf_counter() - started
    assert reply is None
    assert elapsed < TIMEOUT + MARGIN, elapsed
    assert 0 < server.sent < 20  # bytes did flow: each read alone was fast


@pytest.mark.parametrize("handler", [flood, declared_huge], ids=["streamed", "content-length"])
async def test_finding_8_a_huge_reply_is_not_read_past_the_cap(
    handler: Callable[..., Awaitable[None]],
) -> None:
    server: Server
    async with Server(lambda writer: handler(server, writer)) as server:
        started = time.perf_counter()
        reply = await asyncio.wait_for(
            complete(config(server.url), [{"role": "user", "content": "hi"}]), GIVE_UP
        )
        elapsed = time.perf_counter() - started
    assert reply is None
    assert elapsed < TIMEOUT + MARGIN, elapsed
    # The server got rid of at most the cap plus what the sockets buffer, never the 200 MiB.
    assert server.sent < MAX_REPLY_BYTES + 8 * 1024 * 1024, server.sent


async def test_finding_8_the_chatbot_answers_built_in_within_its_deadline(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, alice, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lib.core import config as settings_module

    server: Server
    async with Server(lambda writer: dribble(server, writer)) as server:
        swapped = dataclasses.replace(
            settings_module.get_settings(),
            ai_api_url=server.url,
            ai_api_key="sk-local-0123456789",
            ai_model="local-model",
            ai_timeout_seconds=TIMEOUT,
        )
        monkeypatch.setattr(settings_module, "get_settings", lambda: swapped)
        started = time.perf_counter()
        response = await asyncio.wait_for(chat(client, alice, "Which plan is cheapest?"), GIVE_UP)
        elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    assert elapsed < TIMEOUT + MARGIN, elapsed
    body = response.json()
    assert body["reply"] and "slow" not in body["reply"]
    rows = await session_rows(body["session_id"])
    assert [row.message_type for row in rows] == ["user", "bot"]
    assert rows[-1].source == "fallback"
