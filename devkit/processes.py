"""Small process helpers for local tooling: a free loopback port, a subprocess's environment, SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import sys
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def exit_on_sigterm() -> None:
    """Make SIGTERM end this process through `SystemExit`, so its `finally` blocks still stop the
    servers it started (the local S3 server is a child process: it would outlive us otherwise).

    SIGTERM's default action ends the process on the spot. uvicorn handles it during a run, then
    restores the handler it found and raises the signal again: this one.
    """

    def exit_now(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, exit_now)


def subprocess_env(**overrides: str) -> dict[str, str]:
    """This process's environment plus `overrides`, with the repository root importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(overrides)
    return env
