"""A local transaction-mode PgBouncer before PostgreSQL: as Neon runs it ("prepared") or older ("legacy")."""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from devkit.pgbouncer_build import Binary, PgBouncerMissing, ensure, ensure_once
from devkit.processes import free_port

__all__ = ["MODES", "PgBouncer", "PgBouncerMissing", "config_text", "ensure"]

# max_prepared_statements per configuration. "prepared" is Neon's pooled URL (PgBouncer 1.22+ with
# 1000); "legacy" is a pooler without protocol-level prepared statements (PgBouncer < 1.21, or 0).
MODES = {"prepared": 1000, "legacy": 0}
# A small server pool, so that many clients are multiplexed over few server connections.
SERVER_POOL_SIZE = 5


def config_text(mode: str, *, server_host: str, server_port: int, port: int, workdir: Path, user: str) -> str:
    """The pgbouncer.ini of one configuration."""
    return (
        "[databases]\n"
        f"* = host={server_host} port={server_port}\n"
        "[pgbouncer]\n"
        # Loopback TCP (the suites) and a unix socket in the workdir (the benchmarks, so that the
        # pooled path crosses the same kind of socket as the direct one it is compared with).
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir = {workdir}\n"
        f"auth_type = trust\nauth_file = {workdir / 'users.txt'}\n"
        f"admin_users = {user}\n"  # the admin console (SHOW VERSION, SHOW CONFIG, SHOW POOLS)
        f"logfile = {workdir / 'pgbouncer.log'}\n"
        "pool_mode = transaction\n"
        "max_client_conn = 1000\n"
        f"default_pool_size = {SERVER_POOL_SIZE}\n"
        f"max_prepared_statements = {MODES[mode]}\n"
        # asyncpg's startup packet holds client_encoding, user, database and its server_settings
        # (lib/core/db_url.py keeps only application_name behind a pooler): PgBouncer tracks all
        # of those itself. extra_float_digits (sent by JDBC and other drivers) is ignored; any
        # other startup parameter is refused, so one our engine started sending would fail here.
        "ignore_startup_parameters = extra_float_digits\n"
        "query_wait_timeout = 120\n"  # PgBouncer's default, stated: a queued client waits 120 s
    )


class PgBouncer:
    """`pgbouncer` started on a free loopback port; `url(db)` is the pooled URL of a database.

    `mode` is "prepared" (Neon's pooler: max_prepared_statements = 1000) or "legacy"
    (max_prepared_statements = 0). `binary`, `version` and `config` say what runs.
    """

    def __init__(self, server_url: str, mode: str = "prepared") -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        obtained = ensure_once()
        if isinstance(obtained, PgBouncerMissing):
            raise obtained
        self.obtained: Binary = obtained
        self.binary, self.version, self.mode = obtained.path, obtained.version, mode
        parsed = urlparse(server_url)
        socket_dir = parse_qs(parsed.query).get("host", [parsed.hostname or "127.0.0.1"])[0]
        self.user = parsed.username or "postgres"
        self.port = free_port()
        self.workdir = Path(tempfile.mkdtemp(prefix=f"launchpad-pgbouncer-{mode}-"))
        (self.workdir / "users.txt").write_text(f'"{self.user}" "{parsed.password or ""}"\n')
        self.config = config_text(
            mode,
            server_host=socket_dir,
            server_port=parsed.port or 5432,
            port=self.port,
            workdir=self.workdir,
            user=self.user,
        )
        (self.workdir / "pgbouncer.ini").write_text(self.config)
        log = self.workdir / "pgbouncer.log"
        log.touch()
        command = [str(self.binary)]
        if os.geteuid() == 0:
            # PgBouncer refuses to run as root; run it as the owner of the database socket.
            owner = Path(socket_dir).stat().st_uid if socket_dir.startswith("/") else 65534
            command += ["-u", pwd.getpwuid(owner).pw_name]
            os.chmod(self.workdir, 0o755)
            os.chown(self.workdir, owner, -1)  # PgBouncer creates its unix socket there
            for path in self.workdir.iterdir():
                os.chmod(path, 0o644)
            os.chown(log, owner, -1)
        # The log goes to a file: a pipe nobody drains would stall PgBouncer once it filled.
        self.process = subprocess.Popen(
            [*command, str(self.workdir / "pgbouncer.ini")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        self._wait_until_listening()

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join((self.workdir / "pgbouncer.log").read_text().splitlines()[-lines:])
        except OSError:
            return ""

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pgbouncer exited ({self.process.returncode}): {self.log_tail()}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("pgbouncer did not start listening")

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def socket_url(self, database: str) -> str:
        """The pooled URL of a database over PgBouncer's unix socket (`.s.PGSQL.<port>` in the workdir)."""
        return f"postgresql://{self.user}@/{database}?host={self.workdir}&port={self.port}"

    def admin(self, command: str) -> list[dict[str, str | None]]:
        """One command on the admin console (database `pgbouncer`, simple query protocol only)."""
        return admin_query(self.port, self.user, command)

    def stop(self) -> None:
        # SIGINT: "safe shutdown", done once no server connection is in use. SIGTERM waits for
        # every client to disconnect since PgBouncer 1.23, which an idle pooled client never does.
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        shutil.rmtree(self.workdir, ignore_errors=True)


def admin_query(port: int, user: str, command: str) -> list[dict[str, str | None]]:
    """Rows of `command` on PgBouncer's admin console at 127.0.0.1:`port` (trust authentication)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        params = b"".join(f"{k}\0{v}\0".encode() for k, v in (("user", user), ("database", "pgbouncer")))
        body = struct.pack("!i", 196608) + params + b"\0"
        conn.sendall(struct.pack("!i", len(body) + 4) + body)
        _read_until_ready(conn)
        query = command.encode() + b"\0"
        conn.sendall(b"Q" + struct.pack("!i", len(query) + 4) + query)
        rows = _read_until_ready(conn)
        conn.sendall(b"X" + struct.pack("!i", 4))
        return rows


def _read_until_ready(conn: socket.socket) -> list[dict[str, str | None]]:
    """Backend messages up to ReadyForQuery: the rows they carried; an ErrorResponse raises."""
    columns: list[str] = []
    rows: list[dict[str, str | None]] = []
    while True:
        kind = _recv_exactly(conn, 1)
        (length,) = struct.unpack("!i", _recv_exactly(conn, 4))
        payload = _recv_exactly(conn, length - 4)
        if kind == b"Z":
            return rows
        if kind == b"E":
            fields = dict((f[:1].decode(), f[1:].decode()) for f in payload.split(b"\0") if f)
            raise RuntimeError(f"pgbouncer admin console: {fields.get('M', payload.decode())}")
        if kind == b"R" and struct.unpack("!i", payload[:4])[0] != 0:
            raise RuntimeError("pgbouncer admin console asked for a password (expected trust)")
        if kind == b"T":
            (count,), offset, columns = struct.unpack("!h", payload[:2]), 2, []
            for _ in range(count):
                end = payload.index(b"\0", offset)
                columns.append(payload[offset:end].decode())
                offset = end + 1 + 18  # table oid, column, type oid, size, modifier, format
        if kind == b"D":
            (count,), offset, values = struct.unpack("!h", payload[:2]), 2, []
            for _ in range(count):
                (size,) = struct.unpack("!i", payload[offset : offset + 4])
                offset += 4
                values.append(None if size < 0 else payload[offset : offset + size].decode())
                offset += max(size, 0)
            rows.append(dict(zip(columns, values, strict=True)))


def _recv_exactly(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise RuntimeError("pgbouncer admin console closed the connection")
        data += chunk
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devkit.pgbouncer", description=__doc__)
    parser.add_argument(
        "--ensure",
        action="store_true",
        help="obtain PgBouncer >= 1.21 (installed, or built from Debian trixie's source into "
        ".data/pgbouncer/) and print its path and version",
    )
    args = parser.parse_args(argv)
    if not args.ensure:
        parser.print_help()
        return 2
    try:
        obtained = ensure()
    except PgBouncerMissing as missing:
        print(f"pgbouncer: {missing}", file=sys.stderr)
        return 1
    print(obtained)
    return 0


if __name__ == "__main__":
    sys.exit(main())
