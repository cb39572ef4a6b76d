"""A local S3-compatible server for `make dev` and the tests: s3rver (npm), one bucket, one key pair.

It checks what real storage checks on a presigned URL: the SigV4 signature, every signed header
(so another Content-Type or Content-Length is a 403) and the expiry. Installed on first use from
the npm registry into .data/s3rver (pinned by devkit/s3rver/package-lock.json); objects are kept
as files under the folder given (default .data/s3).

    python devkit/s3_server.py [--port 4569] [--folder .data/s3]

`S3Server` runs it as a child process: `start()`, `stop()`, `url` (STORAGE_URL) and `env` (the
three STORAGE_* settings that reach it).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from devkit.processes import ROOT, free_port

PACKAGE = ROOT / "devkit" / "s3rver"
INSTALL = ROOT / ".data" / "s3rver"
DEFAULT_FOLDER = ROOT / ".data" / "s3"
DEFAULT_PORT = 4569
BUCKET = "launchpad"
# The local server's own key pair (lib/core/config.py's defaults outside production): not a secret.
ACCESS_KEY_ID = "launchpad-local"
SECRET_ACCESS_KEY = "launchpad-local-secret"
REGION = "us-east-1"


class S3ServerMissing(RuntimeError):
    """node or npm is missing, or the npm install failed: the message says which."""


def ensure_installed() -> Path:
    """s3rver's node_modules under .data/s3rver, installed (`npm ci`) when the lock file changed."""
    npm = shutil.which("npm")
    if shutil.which("node") is None or npm is None:
        raise S3ServerMissing("node and npm are needed for the local S3 server (apt-get install nodejs npm)")
    lock = (PACKAGE / "package-lock.json").read_bytes()
    stamp = INSTALL / f".installed-{hashlib.sha256(lock).hexdigest()[:16]}"
    if not stamp.exists():
        INSTALL.mkdir(parents=True, exist_ok=True)
        for old in INSTALL.glob(".installed-*"):
            old.unlink()
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(PACKAGE / name, INSTALL / name)
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=INSTALL,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise S3ServerMissing(f"npm ci of s3rver failed: {done.stderr.strip()[-500:]}")
        stamp.touch()
    return INSTALL / "node_modules"


class S3Server:
    """s3rver on 127.0.0.1:`port` (0: a free one) with bucket `bucket`, objects under `folder`."""

    def __init__(
        self,
        port: int = DEFAULT_PORT,
        folder: Path = DEFAULT_FOLDER,
        *,
        bucket: str = BUCKET,
        access_key_id: str = ACCESS_KEY_ID,
        secret_access_key: str = SECRET_ACCESS_KEY,
    ) -> None:
        self.port = port
        self.folder = Path(folder)
        self.bucket = bucket
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self._process: subprocess.Popen[str] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """STORAGE_URL for this server."""
        return f"s3://{self.bucket}?endpoint={self.endpoint}&region={REGION}"

    @property
    def env(self) -> dict[str, str]:
        """The settings that point the functions at this server."""
        return {
            "STORAGE_URL": self.url,
            "STORAGE_ACCESS_KEY_ID": self.access_key_id,
            "STORAGE_SECRET_ACCESS_KEY": self.secret_access_key,
        }

    def start(self, timeout: float = 30.0) -> S3Server:
        modules = ensure_installed()
        if self.port == 0:
            self.port = free_port()
        self.folder.mkdir(parents=True, exist_ok=True)
        node = shutil.which("node") or "node"
        self._process = subprocess.Popen(
            [
                node,
                str(PACKAGE / "serve.js"),
                str(self.folder),
                "127.0.0.1",
                str(self.port),
                self.bucket,
                self.access_key_id,
                self.secret_access_key,
            ],
            env={**os.environ, "NODE_PATH": str(modules)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        ready = threading.Event()
        lines: list[str] = []

        def read() -> None:
            assert self._process is not None and self._process.stdout is not None
            for line in self._process.stdout:
                lines.append(line.rstrip())
                if "listening on" in line:
                    ready.set()

        threading.Thread(target=read, daemon=True).start()
        deadline = time.monotonic() + timeout
        while not ready.wait(0.05):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise S3ServerMissing(f"s3rver did not start: {' | '.join(lines[-5:])}")
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def __enter__(self) -> S3Server:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER)
    args = parser.parse_args(argv)
    server = S3Server(args.port, args.folder).start()
    print(f"S3 on {server.endpoint}, STORAGE_URL={server.url}, objects in {server.folder} (Ctrl-C stops)")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
