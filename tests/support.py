"""Small helpers shared by the tests (ports, subprocess environments, auth calls)."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def subprocess_env(**overrides: str) -> dict[str, str]:
    """The environment a subprocess of the tests runs with (the test database, test secrets)."""
    env = dict(os.environ)
    env.update(overrides)
    return env
