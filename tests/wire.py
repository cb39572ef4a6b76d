"""A loopback proxy in front of PostgreSQL that counts the round trips clients make.

A round trip is a point where the client stops and waits for the server: a simple-protocol
Query ('Q'), or an extended-protocol Sync ('S') or Flush ('H', which asyncpg sends after a
Parse/Describe to read the statement's description before binding). Counting them on the wire measures what a
request costs without trusting the client library's own account.
"""

from __future__ import annotations

import asyncio
import struct
import threading
from collections import Counter
from urllib.parse import parse_qs, urlparse


class RoundTripProxy:
    """Listens on 127.0.0.1; forwards to the server behind `server_url` (unix socket or TCP)."""

    def __init__(self, server_url: str) -> None:
        parsed = urlparse(server_url)
        self.socket_dir = parse_qs(parsed.query).get("host", [None])[0]
        self.host, self.server_port = parsed.hostname or "127.0.0.1", parsed.port or 5432
        self.counts: Counter[str] = Counter()
        self.statements: list[str] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self.port = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.socket_dir:
            upstream_reader, upstream_writer = await asyncio.open_unix_connection(
                f"{self.socket_dir}/.s.PGSQL.{self.server_port}"
            )
        else:
            upstream_reader, upstream_writer = await asyncio.open_connection(self.host, self.server_port)
        await asyncio.gather(
            self._client_to_server(reader, upstream_writer),
            self._pipe(upstream_reader, writer),
            return_exceptions=True,
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()

    async def _client_to_server(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            # Startup (and an SSLRequest before it) carry no type byte.
            while True:
                length = struct.unpack("!I", await reader.readexactly(4))[0]
                body = await reader.readexactly(length - 4)
                writer.write(struct.pack("!I", length) + body)
                await writer.drain()
                if struct.unpack("!I", body[:4])[0] != 80877103:  # not an SSLRequest: startup is done
                    break
            while True:
                kind = await reader.readexactly(1)
                length = struct.unpack("!I", await reader.readexactly(4))[0]
                body = await reader.readexactly(length - 4)
                self._note(kind, body)
                writer.write(kind + struct.pack("!I", length) + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def _note(self, kind: bytes, body: bytes) -> None:
        with self._lock:
            if kind == b"Q":
                self.counts["round_trips"] += 1
                self.statements.append(body.rstrip(b"\x00").decode(errors="replace"))
            elif kind in (b"S", b"H"):
                self.counts["round_trips"] += 1
            elif kind == b"P":  # Parse: name\0 query\0 ...
                query = body.split(b"\x00")[1].decode(errors="replace")
                self.statements.append(query)

    def reset(self) -> None:
        with self._lock:
            self.counts.clear()
            self.statements.clear()

    def round_trips(self) -> int:
        with self._lock:
            return self.counts["round_trips"]

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}?sslmode=disable"

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
