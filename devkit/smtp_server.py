"""A local SMTP server (aiosmtpd) for `make dev` and the tests: every message kept as an .eml file.

Each message is written to `<folder>/<timestamp>-<id>.eml` (default `.data/mail`) and announced with
one line: its subject, its recipient and the first link in it (the verification or reset link you
want to click). It accepts any sender, recipient and login-free session; it never relays.

    python devkit/smtp_server.py [--port 1025] [--folder .data/mail]

`SmtpServer` runs it in a background thread (aiosmtpd's Controller): `start()`, `stop()`, and
`messages` (what it received, parsed). `delay` makes it stall before answering DATA, as a slow
mail server does; `refuse` lists recipients it answers 550 (a mailbox that does not exist).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from devkit.processes import ROOT

DEFAULT_FOLDER = ROOT / ".data" / "mail"
DEFAULT_PORT = 1025
LINK = re.compile(r"https?://[^\s<>\"')]+")


@dataclass(frozen=True)
class Received:
    """One message the server took: its envelope, its parsed form and where it was written."""

    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage
    path: Path

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return "" if part is None else str(part.get_content())

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return "" if part is None else str(part.get_content())


def first_link(message: EmailMessage) -> str | None:
    """The first http(s) link of the text part (else the HTML part)."""
    for kind in ("plain", "html"):
        part = message.get_body(preferencelist=(kind,))
        if part is not None and (found := LINK.search(str(part.get_content()))):
            return found.group(0)
    return None


def _file_id(message: EmailMessage, fallback: int) -> str:
    local = str(message.get("Message-ID", "")).strip("<> ").split("@")[0]
    return re.sub(r"[^A-Za-z0-9_-]", "", local)[:64] or str(fallback)


class _Sink:
    """aiosmtpd handler: store, announce, remember."""

    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(
        self, _server: Any, _session: Any, envelope: Any, address: str, _options: Any
    ) -> str:
        if address.lower() in self.server.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        if self.server.delay:
            await asyncio.sleep(self.server.delay)
        raw = envelope.original_content or envelope.content
        data = raw if isinstance(raw, bytes) else str(raw).encode()
        self.server.store(envelope.mail_from, tuple(envelope.rcpt_tos), data)
        return "250 Message accepted for delivery"


class SmtpServer:
    """The local SMTP server on 127.0.0.1:`port` (0: a free one), run in a background thread."""

    def __init__(
        self,
        port: int = DEFAULT_PORT,
        folder: Path = DEFAULT_FOLDER,
        *,
        host: str = "127.0.0.1",
        delay: float = 0.0,
        refuse: tuple[str, ...] = (),
        quiet: bool = False,
    ) -> None:
        self.host = host
        self.port = port
        self.folder = Path(folder)
        self.delay = delay
        self.refuse = frozenset(address.lower() for address in refuse)
        self.quiet = quiet
        self.messages: list[Received] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        """EMAIL_URL for this server (no login, no TLS: local only)."""
        return f"smtp://{self.host}:{self.port}"

    def start(self) -> SmtpServer:
        if self.port == 0:
            from devkit.processes import free_port

            self.port = free_port()
        self.folder.mkdir(parents=True, exist_ok=True)
        self._controller = Controller(_Sink(self), hostname=self.host, port=self.port, ready_timeout=10)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def store(self, sender: str, recipients: tuple[str, ...], data: bytes) -> Received:
        message = message_from_bytes(data, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            path = self.folder / f"{stamp}-{_file_id(message, len(self.messages) + 1)}.eml"
            path.write_bytes(data)
            received = Received(sender, recipients, message, path)
            self.messages.append(received)
        if not self.quiet:
            link = first_link(message) or "(no link)"
            print(f"mail: {message['Subject']!s} -> {', '.join(recipients)}  {link}", flush=True)
        return received

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """The messages once there are at least `count` of them (raises TimeoutError after `timeout`)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.messages)} of {count} messages arrived")
            time.sleep(0.02)
        return list(self.messages)


def main(argv: list[str] | None = None) -> int:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER)
    args = parser.parse_args(argv)
    server = SmtpServer(args.port, args.folder).start()
    print(f"SMTP on {server.url}, messages in {server.folder} (Ctrl-C stops)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
