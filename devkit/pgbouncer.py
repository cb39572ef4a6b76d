"""A local PgBouncer in transaction mode (like Neon's pooler) in front of a PostgreSQL server."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from devkit.processes import free_port


class PgBouncerMissing(RuntimeError):
    """Debian's `pgbouncer` is not installed."""


class PgBouncer:
    """`pgbouncer` started on a free loopback port; `url(db)` is the pooled URL of a database."""

    def __init__(self, server_url: str) -> None:
        binary = shutil.which("pgbouncer") or (
            "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
        )
        if binary is None:
            raise PgBouncerMissing("pgbouncer is not installed (apt-get install pgbouncer)")
        parsed = urlparse(server_url)
        socket_dir = parse_qs(parsed.query).get("host", [parsed.hostname or "127.0.0.1"])[0]
        self.user = parsed.username or "postgres"
        self.port = free_port()
        self.workdir = Path(tempfile.mkdtemp(prefix="launchpad-pgbouncer-"))
        (self.workdir / "users.txt").write_text(f'"{self.user}" "{parsed.password or ""}"\n')
        (self.workdir / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host={socket_dir} port={parsed.port or 5432}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {self.workdir / 'users.txt'}\n"
            "pool_mode = transaction\nmax_client_conn = 1000\ndefault_pool_size = 20\n"
            "ignore_startup_parameters = extra_float_digits\n"
        )
        command = [binary]
        if os.geteuid() == 0:
            # PgBouncer refuses to run as root; run it as the owner of the database socket.
            owner = Path(socket_dir).stat().st_uid if socket_dir.startswith("/") else 65534
            command += ["-u", pwd.getpwuid(owner).pw_name]
            os.chmod(self.workdir, 0o755)
            for path in self.workdir.iterdir():
                os.chmod(path, 0o644)
        self.process = subprocess.Popen(
            [*command, str(self.workdir / "pgbouncer.ini")],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._wait_until_listening()

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"pgbouncer exited: {self.process.stdout.read() if self.process.stdout else ''}"
                )
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("pgbouncer did not start listening")

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.workdir, ignore_errors=True)
