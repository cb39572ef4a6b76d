"""A loopback proxy in front of PostgreSQL that records what clients send: round trips and statements."""

from __future__ import annotations

import asyncio
import re
import struct
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

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
# The messages after which the client waits for the server.
WAITS = frozenset("QSH")
SSL_REQUEST, GSS_REQUEST, CANCEL_REQUEST = 80877103, 80877104, 80877102


@dataclass
class Message:
    """One frontend message; `statement` names a prepared statement (Parse, Bind, Close)."""

    at: float
    connection: int
    kind: str
    sql: str | None = None
    statement: str | None = None
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


class RoundTripProxy:
    """Listens on 127.0.0.1:`port`; forwards each connection to the server behind `server_url`.

    `server_url` is a PostgreSQL URL: a unix socket when its query has `host=/dir`, else TCP. The
    proxy runs its own event loop in a daemon thread, so a synchronous test and an asyncio benchmark
    use it alike. Every frontend message after startup is recorded; two readings of "round trip":

    - `round_trips()`: a point where the client stops and waits for the server: a simple-protocol
      Query ('Q'), or an extended-protocol Sync ('S') or Flush ('H', which asyncpg sends after a
      Parse/Describe to read the statement's description before binding). Counting them on the wire
      measures what a request costs without trusting the client library's own account.
    - `flights()`: the messages a client sent before the server answered (a new flight starts at the
      first message after server bytes arrived), each with the statement it carries.
    """

    def __init__(self, server_url: str) -> None:
        parsed = urlparse(server_url)
        self.socket_dir = parse_qs(parsed.query).get("host", [None])[0]
        self.host, self.server_port = parsed.hostname or "127.0.0.1", parsed.port or 5432
        self.messages: list[Message] = []
        self.port = 0
        self._since = 0
        self._lock = threading.Lock()
        self._connections = 0
        self._server_spoke: dict[int, bool] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._server: asyncio.Server | None = None
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the wire proxy did not start listening")

    # ------------------------------------------------------------------ reading what was recorded

    def url(self, database: str) -> str:
        """A URL of `database` through the proxy."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}?sslmode=disable"

    def mark(self) -> int:
        """A position in the record, for `flights(start)`."""
        with self._lock:
            return len(self.messages)

    def reset(self) -> None:
        """Start counting afresh: `round_trips()` and `statements` cover what comes after this."""
        self._since = self.mark()

    def round_trips(self) -> int:
        """Queries, Syncs and Flushes since the last `reset()`: the points where a client waits."""
        return sum(m.kind in WAITS for m in self._recorded(self._since))

    @property
    def statements(self) -> list[str]:
        """The SQL of every Query and Parse since the last `reset()`, in order."""
        return [m.sql for m in self._recorded(self._since) if m.kind in "QP" and m.sql is not None]

    def flights(self, start: int, end: int | None = None) -> list[Flight]:
        """Round trips between two marks, with the statement each one carries."""
        messages = self._recorded(0)
        statements: dict[tuple[int, str], str] = {}
        for message in messages[:start]:
            if message.kind == "P" and message.sql is not None:
                statements[(message.connection, message.statement or "")] = message.sql
        flights: list[Flight] = []
        current: dict[int, Flight] = {}
        for message in messages[start:end]:
            flight = current.get(message.connection)
            if flight is None or message.new_flight:
                flight = current[message.connection] = Flight(message.connection)
                flights.append(flight)
            flight.kinds.append(message.kind)
            name = message.statement
            if message.kind == "P" and message.sql is not None:
                statements[(message.connection, name or "")] = message.sql
                flight.sql = flight.sql or message.sql
            elif message.kind == "B" and name is not None:
                flight.sql = flight.sql or statements.get((message.connection, name), f"<{name}>")
            elif message.kind == "Q":
                flight.sql = message.sql
            elif message.kind == "C" and name is not None:
                flight.closed.append(statements.get((message.connection, name), f"<{name}>"))
        return [f for f in flights if f.kinds != ["X"]]  # Terminate gets no answer

    def close(self) -> None:
        """Stop listening, drop the open connections and end the proxy's thread."""
        if self._loop.is_closed() or not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _recorded(self, start: int) -> list[Message]:
        with self._lock:
            return self.messages[start:]

    # ------------------------------------------------------------------ the proxy (its own thread)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections += 1
        connection = self._connections
        try:
            if self.socket_dir:
                path = f"{self.socket_dir}/.s.PGSQL.{self.server_port}"
                up_reader, up_writer = await asyncio.open_unix_connection(path)
            else:
                up_reader, up_writer = await asyncio.open_connection(self.host, self.server_port)
        except OSError:
            writer.close()
            return
        self._server_spoke[connection] = True
        downstream = self._track(self._pump(connection, up_reader, writer))
        upstream = self._track(self._client_to_server(connection, reader, up_writer))
        try:
            await upstream
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            up_writer.close()
            await asyncio.gather(downstream, return_exceptions=True)
            writer.close()

    def _track(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """A task `close()` cancels if it is still running then."""
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

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
            sql, statement = _payload(kind, body)
            with self._lock:
                self.messages.append(
                    Message(time.perf_counter(), connection, kind, sql, statement, new_flight)
                )
            writer.write(header + body)
            await writer.drain()
            if kind == "X":
                return


def _payload(kind: str, body: bytes) -> tuple[str | None, str | None]:
    """(sql, statement name) a message carries: Query -> sql, Parse -> both, Bind/Close -> name."""
    if kind == "Q":
        return body.rstrip(b"\x00").decode(errors="replace"), None
    if kind == "P":
        name, sql, _rest = body.split(b"\x00", 2)
        return sql.decode(errors="replace"), name.decode()
    if kind == "B":
        _portal, statement, _rest = body.split(b"\x00", 2)
        return None, statement.decode()
    if kind == "C" and body[:1] == b"S":
        return None, body[1:].rstrip(b"\x00").decode()
    return None, None
