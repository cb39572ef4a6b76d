"""A PostgreSQL wire-protocol proxy that records what a client sends: its round trips and statements."""

from __future__ import annotations

import asyncio
import re
import struct
import time
from dataclasses import dataclass, field
from typing import Any

# Frontend messages a client sends after startup (the ones a round trip is made of).
NAMES = {
    "Q": "Query",
    "P": "Parse",
    "B": "Bind",
    "E": "Execute",
    "D": "Describe",
    "S": "Sync",
    "C": "Close",
    "H": "Flush",
    "X": "Terminate",
    "p": "Password",
    "F": "FunctionCall",
    "d": "CopyData",
    "c": "CopyDone",
    "f": "CopyFail",
}
SSL_REQUEST, GSS_REQUEST, CANCEL_REQUEST = 80877103, 80877104, 80877102


@dataclass
class Message:
    at: float
    connection: int
    kind: str
    sql: str | None = None
    # True when the server had answered since the client's previous message: a new round trip.
    new_flight: bool = False


@dataclass
class Flight:
    """Messages the client sent before waiting for the server's answer: one round trip."""

    connection: int
    kinds: list[str] = field(default_factory=list)
    sql: str | None = None
    closed: list[str] = field(default_factory=list)

    def describe(self) -> str:
        kinds = "+".join(NAMES.get(k, k) for k in self.kinds)
        text = f"{kinds}: {short_sql(self.sql)}" if self.sql else kinds
        if self.closed:
            text += " (closes the prepared " + "; ".join(short_sql(c, 70) for c in self.closed) + ")"
        return text


def short_sql(sql: str | None, width: int = 150) -> str:
    """A statement on one line, long column lists elided."""
    if not sql:
        return ""
    text = " ".join(sql.split())
    text = re.sub(r"^SELECT (.+?) FROM ", lambda m: f"SELECT {_columns(m.group(1))} FROM ", text)
    text = re.sub(r"RETURNING (.+)$", lambda m: f"RETURNING {_columns(m.group(1))}", text)
    text = re.sub(
        r"\(([^()]{60,})\) VALUES \(([^()]+)\)", lambda m: f"({_columns(m.group(1))}) VALUES (…)", text
    )
    return text if len(text) <= width else text[: width - 1] + "…"


def _columns(columns: str) -> str:
    parts = [p.strip() for p in columns.split(",")]
    return columns if len(parts) <= 3 else f"{parts[0]}, … {len(parts)} columns"


class WireRecorder:
    """Listens on 127.0.0.1; forwards each connection to `upstream`; records the client's messages."""

    def __init__(self, upstream: tuple[str, int] | str) -> None:
        self.upstream = upstream
        self.messages: list[Message] = []
        self.port = 0
        self._server: asyncio.Server | None = None
        self._connections = 0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._server_spoke: dict[int, bool] = {}

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()

    def mark(self) -> int:
        return len(self.messages)

    def flights(self, start: int, end: int | None = None) -> list[Flight]:
        """Round trips between two marks, with the statement each one carries."""
        statements: dict[tuple[int, str], str] = {}
        for message in self.messages[:start]:
            if message.kind == "P" and message.sql is not None:
                name, _, sql = message.sql.partition("\x00")
                statements[(message.connection, name)] = sql
        flights: list[Flight] = []
        current: dict[int, Flight] = {}
        for message in self.messages[start:end]:
            flight = current.get(message.connection)
            if flight is None or message.new_flight:
                flight = current[message.connection] = Flight(message.connection)
                flights.append(flight)
            flight.kinds.append(message.kind)
            if message.kind == "P" and message.sql is not None:
                name, _, sql = message.sql.partition("\x00")
                statements[(message.connection, name)] = sql
                flight.sql = flight.sql or sql
            elif message.kind == "B" and message.sql is not None:
                flight.sql = flight.sql or statements.get(
                    (message.connection, message.sql), f"<{message.sql}>"
                )
            elif message.kind == "Q":
                flight.sql = message.sql
            elif message.kind == "C" and message.sql is not None:
                closed = statements.get((message.connection, message.sql), f"<{message.sql}>")
                flight.closed.append(closed)
        return [f for f in flights if f.kinds != ["X"]]  # Terminate gets no answer

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections += 1
        connection = self._connections
        if isinstance(self.upstream, str):
            up_reader, up_writer = await asyncio.open_unix_connection(self.upstream)
        else:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        self._server_spoke[connection] = True
        downstream = asyncio.ensure_future(self._pump(connection, up_reader, writer))
        self._tasks.add(downstream)
        try:
            await self._client_to_server(connection, reader, up_writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            up_writer.close()
            await asyncio.gather(downstream, return_exceptions=True)
            self._tasks.discard(downstream)
            writer.close()

    async def _pump(
        self, connection: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            while data := await reader.read(65536):
                self._server_spoke[connection] = True
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _client_to_server(
        self, connection: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        # Untyped start-up packets first: SSLRequest/GSSENCRequest (answered with one byte), then startup.
        while True:
            header = await reader.readexactly(8)
            length, code = struct.unpack("!ii", header)
            body = await reader.readexactly(length - 8)
            writer.write(header + body)
            await writer.drain()
            if code not in (SSL_REQUEST, GSS_REQUEST):
                break
        while True:
            header = await reader.readexactly(5)
            kind = chr(header[0])
            (length,) = struct.unpack("!i", header[1:])
            body = await reader.readexactly(length - 4)
            new_flight = self._server_spoke[connection]
            self._server_spoke[connection] = False
            self.messages.append(
                Message(time.perf_counter(), connection, kind, _payload(kind, body), new_flight)
            )
            writer.write(header + body)
            await writer.drain()
            if kind == "X":
                return


def _payload(kind: str, body: bytes) -> str | None:
    """The statement a message names: Parse -> 'name\\0sql', Bind -> statement name, Query -> sql."""
    if kind == "Q":
        return body.rstrip(b"\x00").decode(errors="replace")
    if kind == "P":
        name, sql, _rest = body.split(b"\x00", 2)
        return f"{name.decode()}\x00{sql.decode(errors='replace')}"
    if kind == "B":
        _portal, statement, _rest = body.split(b"\x00", 2)
        return statement.decode()
    if kind == "C" and body[:1] == b"S":
        return body[1:].rstrip(b"\x00").decode()
    return None
