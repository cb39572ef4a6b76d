"""One cold start: import a function (or the floor, or the peer) and serve one real request; print timings."""

import time

STARTED = time.time()

import asyncio  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402


def load(target: str) -> Any:
    """A function file as Vercel loads it (by path, with the app's own loader), or a module by dotted name."""
    if target.endswith(".py"):
        # Inside the timed import, and only for function files: what lib.web.functions imports (stdlib,
        # lib, lib.web) the function imports anyway; its own body costs ~0.5 ms (-X importtime).
        from lib.web.functions import load_function

        return load_function(Path(target))
    return importlib.import_module(target)


def rss_kib() -> int:
    """This process's resident set now, in KiB (Linux's /proc; else the peak from getrusage)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


async def serve_one(module: Any, method: str, url: str, token: str | None) -> tuple[int, int]:
    from bench.asgi import call

    status, body = await call(module.app, method, url, token=token or None)
    return status, len(body)


def main() -> int:
    kind, target, method, url, token = sys.argv[1:6]
    profile_path = os.environ.get("BENCH_PROFILE")
    if profile_path:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    if kind == "floor":
        module = load("bench.floor")
        imported = time.time()
        project_id, user_id = (int(x) for x in url.split(","))
        rows = asyncio.run(module.cold_request(os.environ["DATABASE_URL"], project_id, user_id))
        status, size = (200 if rows == 1 else 404), rows
    else:
        module = load(target)
        imported = time.time()
        status, size = asyncio.run(serve_one(module, method, url, token))
    done = time.time()
    rss = rss_kib()  # after the first response: what the function holds once warm (read outside the timing)
    if profile_path:
        profiler.disable()
        profiler.dump_stats(profile_path)
    print(
        json.dumps(
            {
                "started": STARTED,
                "imported": imported,
                "done": done,
                "status": status,
                "bytes": size,
                "rss_kib": rss,
            }
        )
    )
    sys.stdout.flush()
    os._exit(0)  # the response is out; skip interpreter teardown like a frozen Lambda would


if __name__ == "__main__":
    main()
