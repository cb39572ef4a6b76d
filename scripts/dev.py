"""`make dev`: embedded PostgreSQL (unless DATABASE_URL is set), migrate, seed, a local SMTP server
(unless EMAIL_URL is set), a local S3 server (unless STORAGE_URL is set), serve every function."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from typing import Any

from devkit.dispatcher import Dispatcher
from devkit.processes import ROOT, exit_on_sigterm
from lib.core.config import LOCAL_FLAG

DEV_ADMIN = {"ADMIN_EMAIL": "admin@launchpad.local", "ADMIN_PASSWORD": "launchpad-admin"}
# This machine is local: the settings may fall back to the development key and mail (lib/core/config.py).
LOCAL = {LOCAL_FLAG: "1"}


def prepare_database(env: dict[str, str]) -> Any:
    """Point DATABASE_URL at a database (embedded if unset), migrate and seed it.

    Returns the embedded server's handle (or None): it stops when this process exits.
    """
    server = None
    if not env.get("DATABASE_URL"):
        from devkit.localdb import ensure_database, start_server

        server = start_server(ROOT / ".data" / "pg", cleanup_mode="stop")
        env["DATABASE_URL"] = ensure_database(server.get_uri(), "launchpad")
        print(f"embedded PostgreSQL: {env['DATABASE_URL']}")
    for script in ("migrate.py", "seed.py"):
        subprocess.run([sys.executable, str(ROOT / "scripts" / script)], env=env, check=True)
    return server


def start_mail(env: dict[str, str], port: int) -> Any:
    """A local SMTP server for the functions' mail (EMAIL_URL), unless EMAIL_URL is set already.

    Each message lands in .data/mail/ and is printed as one line with its first link. Returns the
    server (or None): it stops when this process exits.
    """
    if env.get("EMAIL_URL"):
        print("mail: EMAIL_URL is set, the functions use it as it is")
        return None
    from devkit.smtp_server import SmtpServer

    try:
        server = SmtpServer(port).start()
    except Exception:  # the port is taken (another `make dev`?): any free one will do
        server = SmtpServer(0).start()
    env["EMAIL_URL"] = server.url
    print(f"mail: local SMTP on {server.url}, each message in {server.folder}/ and one line here")
    return server


def start_storage(env: dict[str, str], port: int) -> Any:
    """A local S3-compatible server for the functions' files (STORAGE_URL), unless STORAGE_URL is set.

    Objects land in .data/s3/. Returns the server (or None): it stops when this process exits.
    """
    if env.get("STORAGE_URL"):
        print("storage: STORAGE_URL is set, the functions use it as it is")
        return None
    from devkit.s3_server import S3Server, S3ServerMissing

    try:
        server = S3Server(port).start()
    except S3ServerMissing as missing:
        if "did not start" not in str(missing):
            raise
        server = S3Server(0).start()  # the port is taken (another `make dev`?): any free one will do
    env.update(server.env)
    print(f"storage: local S3 on {server.endpoint} (bucket {server.bucket}), objects in {server.folder}/")
    return server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--skip-setup", action="store_true", help="serve only (no migrate/seed)")
    parser.add_argument("--smtp-port", type=int, default=1025, help="the local SMTP server's port")
    parser.add_argument("--s3-port", type=int, default=4569, help="the local S3 server's port")
    args = parser.parse_args()
    exit_on_sigterm()  # a `kill` (or a test's terminate) stops the servers below too

    env = dict(os.environ, **LOCAL)
    for name, value in DEV_ADMIN.items():
        env.setdefault(name, value)
    server = None if args.skip_setup else prepare_database(env)
    mail = start_mail(env, args.smtp_port)
    storage = start_storage(env, args.s3_port)
    os.environ.update(env)

    import uvicorn

    print(f"serving every api/*.py on http://{args.host}:{args.port} (Ctrl-C stops)")
    try:
        uvicorn.run(Dispatcher(), host=args.host, port=args.port, log_level="warning", lifespan="off")
    finally:
        if mail is not None:
            mail.stop()
        if storage is not None:
            storage.stop()
        if server is not None:
            server.cleanup()  # stops the embedded PostgreSQL this command started
    return 0


if __name__ == "__main__":
    sys.exit(main())
