"""Bounded HTTP/1.1 load on loopback: wrk when installed, else a raw-socket asyncio client."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import time
from typing import Any

from bench.common import percentile

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s)", text)
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * UNITS[match.group(2)]


def wrk(port: int, path: str, token: str, connections: int, seconds: float) -> dict[str, Any]:
    """Closed-loop load with Debian's wrk; latency percentiles in ms and requests per second."""
    assert seconds <= 10, "each point is bounded to 10 s"
    command = [
        "wrk",
        "-t",
        "1" if connections == 1 else "2",
        "-c",
        str(connections),
        "-d",
        f"{seconds:g}s",
        "--latency",
        "-H",
        f"Authorization: Bearer {token}",
        f"http://127.0.0.1:{port}{path}",
    ]
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30).stdout
    percentiles = {p: _ms(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)$", out, re.M)}
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "p50_ms": percentiles.get("50"),
        "p90_ms": percentiles.get("90"),
        "p99_ms": percentiles.get("99"),
        "rps": rps,
        "requests": requests,
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else None,
        "tool": "wrk",
    }


def _request(method: str, path: str, token: str, body: bytes | None) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        "User-Agent: launchpad-bench/1.0",
        f"Authorization: Bearer {token}",
    ]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    if length:
        await reader.readexactly(length)
    return status


class Connection:
    """One keep-alive connection sending requests one at a time."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, raw: bytes) -> tuple[int, float]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        started = time.perf_counter()
        self.writer.write(raw)
        status = await _read_response(self.reader)
        return status, (time.perf_counter() - started) * 1000

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def closed_loop(
    port: int, path: str, token: str, connections: int, seconds: float, method: str = "GET", body: Any = None
) -> dict[str, Any]:
    """The Python fallback of `wrk`: `connections` clients, each sending back to back for `seconds`."""
    assert seconds <= 10, "each point is bounded to 10 s"
    raw = _request(method, path, token, None if body is None else json.dumps(body).encode())
    latencies: list[float] = []
    failures = 0
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal failures
        conn = Connection(port)
        try:
            while time.perf_counter() < deadline:
                status, ms = await conn.send(raw)
                latencies.append(ms)
                failures += status >= 300
        finally:
            conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    return {
        "p50_ms": percentile(latencies, 0.5),
        "p90_ms": percentile(latencies, 0.9),
        "p99_ms": percentile(latencies, 0.99),
        "rps": len(latencies) / elapsed,
        "requests": len(latencies),
        "non_2xx": failures,
        "socket_errors": None,
        "tool": "python",
    }


def measure(port: int, path: str, token: str, connections: int, seconds: float) -> dict[str, Any]:
    """wrk if installed, else the Python client (which competes with the server for the 2 cores)."""
    if shutil.which("wrk"):
        return wrk(port, path, token, connections, seconds)
    return asyncio.run(closed_loop(port, path, token, connections, seconds))


async def open_loop(
    port: int,
    make_request: Any,
    rate: float,
    stop: asyncio.Event,
    max_seconds: float,
    max_in_flight: int = 64,
) -> list[tuple[float, float, int]]:
    """Requests at a fixed rate until `stop` is set (or `max_seconds`): (sent at, latency ms, status)."""
    results: list[tuple[float, float, int]] = []
    idle: list[Connection] = []
    in_flight = 0
    tasks: set[asyncio.Task[None]] = set()

    async def one(raw: bytes, sent_at: float) -> None:
        nonlocal in_flight
        conn = idle.pop() if idle else Connection(port)
        try:
            status, ms = await conn.send(raw)
            results.append((sent_at, ms, status))
            idle.append(conn)
        except (ConnectionError, asyncio.IncompleteReadError):
            results.append((sent_at, float("nan"), 0))
            conn.close()
        finally:
            in_flight -= 1

    started = time.perf_counter()
    interval = 1.0 / rate
    next_at = started
    while not stop.is_set() and time.perf_counter() - started < max_seconds:
        now = time.perf_counter()
        if now < next_at:
            await asyncio.sleep(next_at - now)
            continue
        next_at += interval
        if in_flight >= max_in_flight:
            results.append((now - started, float("nan"), -1))  # dropped: the server fell behind
            continue
        in_flight += 1
        task = asyncio.ensure_future(one(make_request(), now - started))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(tasks, timeout=30)
    for conn in idle:
        conn.close()
    return results


def request_bytes(method: str, path: str, token: str, body: Any = None) -> bytes:
    return _request(method, path, token, None if body is None else json.dumps(body).encode())
