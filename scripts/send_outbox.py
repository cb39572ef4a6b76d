"""Send the mail outbox's due messages: the retry path outside Vercel's cron (a server, CI, a laptop).

    python scripts/send_outbox.py            # pass after pass until nothing is due (or --max-seconds)
    python scripts/send_outbox.py --once     # one pass of at most --limit messages

It uses the same settings as the functions (DATABASE_URL, EMAIL_URL, EMAIL_FROM, EMAIL_MAX_ATTEMPTS)
and the same claim-before-send as GET /api/cron/outbox, so it may run alongside the cron: no message
is sent twice. A message that failed waits out its backoff, so "nothing due" can leave pending rows.
Exit status 0 when it ran (whatever the mail server said), 1 when it could not run at all.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from lib.core.db import dispose_engine
from lib.mail.delivery import DeliveryResult, deliver_due


def _line(result: DeliveryResult) -> str:
    return (
        f"sent {result.sent}, retrying {result.retrying}, failed {result.failed}, "
        f"still due {result.remaining}"
    )


async def run(*, once: bool, limit: int, max_seconds: float) -> int:
    deadline = time.monotonic() + max_seconds
    try:
        while True:
            result = await deliver_due(limit=limit, deadline=deadline)
            print(_line(result), flush=True)
            if once or result.remaining == 0 or time.monotonic() >= deadline:
                return 0
            if result.sent + result.retrying + result.failed == 0:
                await asyncio.sleep(1)  # what is due is being sent by another sender right now
    finally:
        await dispose_engine()


def main(argv: list[str] | None = None) -> int:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--once", action="store_true", help="one pass, then stop")
    parser.add_argument("--limit", type=int, default=200, help="messages per pass (default 200)")
    parser.add_argument(
        "--max-seconds", type=float, default=300.0, help="start no send after this long (default 300)"
    )
    args = parser.parse_args(argv)
    if args.limit < 1 or args.max_seconds <= 0:
        parser.error("--limit and --max-seconds must be positive")
    try:
        return asyncio.run(run(once=args.once, limit=args.limit, max_seconds=args.max_seconds))
    except Exception as error:
        from lib.mail.delivery import describe

        print(f"send_outbox failed: {describe(error)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
