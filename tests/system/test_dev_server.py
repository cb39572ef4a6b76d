"""`make dev`'s server (`scripts/dev.py`): stopped by a signal, it stops the local servers it started."""

from __future__ import annotations

import re
import socket
import time

from tests.support import DevServer


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


async def test_sigterm_stops_the_local_s3_server_it_started(database_url: str) -> None:
    # STORAGE_URL empty: the dev server starts its own s3rver, a node child process.
    server = DevServer("sigterm", DATABASE_URL=database_url, STORAGE_URL="", EMAIL_URL="")
    try:
        await server.wait_listening()
        found = re.search(r"storage: local S3 on http://127\.0\.0\.1:(\d+)", server.read_log())
        assert found, server.read_log()
        s3_port = int(found.group(1))
        assert _listening(s3_port)
    finally:
        server.stop()  # SIGTERM, as a process manager or a terminal's kill sends it
    # uvicorn ends its run on SIGTERM and raises the signal again; without exit_on_sigterm that
    # ended the process before its `finally`, and s3rver lived on as an orphan.
    deadline = time.monotonic() + 10
    while _listening(s3_port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _listening(s3_port), "the dev server's s3rver outlived it"
    assert server.process.returncode == 128 + 15
