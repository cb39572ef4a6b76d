"""What each way of presigning an S3 upload adds to a cold start: the measurement behind lib/storage.

Each candidate runs in a fresh interpreter that has already imported what every function imports
(`lib.web.app`: starlette, pydantic, structlog), so the number is what the candidate adds: its imports,
its client and one presigned PUT with the content type and length signed. Median of `--runs`.

    pip install --target /tmp/presigners boto3==1.44.8 minio==7.2.20
    .venv/bin/python -m bench.presigners --packages /tmp/presigners --runs 9
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

from devkit.processes import ROOT, subprocess_env

CANDIDATES = {
    "boto3 1.44.8 (botocore)": (
        "import boto3\n"
        "c = boto3.client('s3', endpoint_url='http://127.0.0.1:9', region_name='auto',"
        " aws_access_key_id='k', aws_secret_access_key='s')\n"
        "c.generate_presigned_url('put_object', Params={'Bucket': 'bucket', 'Key': 'k',"
        " 'ContentType': 'application/pdf', 'ContentLength': 5}, ExpiresIn=900)"
    ),
    "minio 7.2.20": (
        "from datetime import timedelta\n"
        "from minio import Minio\n"
        "c = Minio('127.0.0.1:9', access_key='k', secret_key='s', secure=False, region='auto')\n"
        "c.get_presigned_url('PUT', 'bucket', 'k', expires=timedelta(seconds=900))"
    ),
    "lib.storage.signing (stdlib hmac)": (
        "from lib.storage.signing import Credentials, presign\n"
        "presign(Credentials('http://127.0.0.1:9', 'bucket', 'auto', 'k', 's'), 'PUT', 'k', expires=900,"
        " headers={'Content-Type': 'application/pdf', 'Content-Length': '5'})"
    ),
}

PROGRAM = """
import sys, time
sys.path[:0] = {paths!r}
import lib.web.app  # the floor every function pays anyway
started = time.perf_counter()
{code}
print((time.perf_counter() - started) * 1000)
"""


def measure(code: str, paths: list[str], runs: int) -> float:
    """Median milliseconds `code` adds to a cold interpreter that already has a function's floor."""
    samples = []
    for _ in range(runs):
        program = PROGRAM.format(paths=paths, code=code)
        out = subprocess.run(
            [sys.executable, "-c", program], env=subprocess_env(), cwd=ROOT, capture_output=True, text=True
        )
        if out.returncode != 0:
            raise RuntimeError(out.stderr[-1000:])
        samples.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--packages", default="", help="a --target folder holding boto3 and minio")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args(argv)
    paths = [args.packages] if args.packages else []
    for name, code in CANDIDATES.items():
        try:
            print(f"{name:36} {measure(code, paths, args.runs):7.1f} ms")
        except RuntimeError as error:
            print(f"{name:36} not measured: {str(error).strip().splitlines()[-1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
