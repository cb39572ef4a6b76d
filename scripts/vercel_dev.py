"""`make vercel-dev`: the functions under `vercel dev` (Vercel's own local runtime), offline, on :3000.

Like `make dev` it prepares the database (embedded PostgreSQL unless DATABASE_URL is set, migrated
and seeded) and starts the local S3 server unless STORAGE_URL is set; the pinned Vercel CLI then
serves the work tree with a stub of Vercel's REST API, so no login or linked project is needed. The
functions get DATABASE_URL and the other settings below as the project's development environment (a
`.env` in the work tree is read by the CLI as well).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from devkit.processes import ROOT, exit_on_sigterm
from devkit.vercel_dev import VercelDev, function_env
from scripts.dev import DEV_ADMIN, LOCAL, prepare_database, start_storage


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    args = parser.parse_args()
    exit_on_sigterm()  # a `kill` stops vercel dev and the servers below too
    env = dict(os.environ, **LOCAL)
    for name, value in DEV_ADMIN.items():
        env.setdefault(name, value)
    server = prepare_database(env)
    storage = start_storage(env, 4569)
    vercel = VercelDev(ROOT, function_env(env), port=args.port)
    try:
        vercel.wait_listening()
        print(f"vercel dev on {vercel.base_url} (log: {vercel.log_path}); functions build on first request")
        while vercel.process.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        vercel.stop()
        if storage is not None:
            storage.stop()
        if server is not None:
            server.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
