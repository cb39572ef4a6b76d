"""The presigner against AWS's published example, STORAGE_URL parsing, and the first-bytes check."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lib.core.config import ConfigError, load_settings, parse_storage_url
from lib.rules.files import looks_like
from lib.storage.signing import Credentials, presign
from tests.functions.files_support import DOCX_TYPE, real_docx, real_pdf, zip_of

PPTX_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


def test_presign_matches_the_example_in_the_s3_sigv4_documentation() -> None:
    # "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)", the GET example.
    credentials = Credentials(
        endpoint="https://s3.amazonaws.com",
        bucket="examplebucket",
        region="us-east-1",
        access_key_id="AKIAIOSFODNN7EXAMPLE",
        secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        path_style=False,
    )
    url = presign(credentials, "GET", "test.txt", expires=86400, now=datetime(2013, 5, 24, tzinfo=UTC))
    assert url == (
        "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    )


def test_presign_refuses_an_expiry_s3_would_refuse() -> None:
    credentials = Credentials("http://127.0.0.1:9", "bucket", "auto", "k", "s")
    for expires in (0, 604_801):
        with pytest.raises(ValueError):
            presign(credentials, "GET", "k", expires=expires)


@pytest.mark.parametrize(
    ("url", "bucket", "endpoint", "region", "path_style"),
    [
        (
            "s3://docs?endpoint=https://abc.r2.cloudflarestorage.com&region=auto",
            "docs",
            "https://abc.r2.cloudflarestorage.com",
            "auto",
            True,
        ),
        ("s3://docs?region=eu-west-1", "docs", "https://s3.eu-west-1.amazonaws.com", "eu-west-1", False),
        ("s3://docs?endpoint=http://127.0.0.1:9000", "docs", "http://127.0.0.1:9000", "auto", True),
        (
            "s3://docs?endpoint=https://minio.example.com/&region=us-east-1&path_style=false",
            "docs",
            "https://minio.example.com",
            "us-east-1",
            False,
        ),
    ],
)
def test_storage_urls_of_r2_aws_and_minio(
    url: str, bucket: str, endpoint: str, region: str, path_style: bool
) -> None:
    target = parse_storage_url(url)
    assert (target.bucket, target.endpoint, target.region, target.path_style) == (
        bucket,
        endpoint,
        region,
        path_style,
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://docs",
        "s3://Docs",
        "s3://docs/prefix",
        "s3://docs?endpoint=ftp://host",
        "s3://docs?colour=blue",
    ],
)
def test_a_malformed_storage_url_is_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="STORAGE_URL"):
        parse_storage_url(url)


PRODUCTION = {
    "VERCEL_ENV": "production",
    "SECRET_KEY": "a-production-secret-key-that-is-long-enough-0123456789",
    "EMAIL_URL": "smtp://user:pass@mail.example.com:587",
    "EMAIL_FROM": "Launchpad <no-reply@example.com>",
}


def test_production_fails_closed_without_storage() -> None:
    with pytest.raises(ConfigError, match="STORAGE_URL is not set"):
        load_settings(PRODUCTION)
    with pytest.raises(ConfigError, match="STORAGE_ACCESS_KEY_ID and STORAGE_SECRET_ACCESS_KEY"):
        load_settings({**PRODUCTION, "STORAGE_URL": "s3://docs?region=eu-west-1"})
    settings = load_settings(
        {
            **PRODUCTION,
            "STORAGE_URL": "s3://docs?region=eu-west-1",
            "STORAGE_ACCESS_KEY_ID": "AKIA",
            "STORAGE_SECRET_ACCESS_KEY": "shh",
        }
    )
    assert settings.storage.bucket == "docs"
    assert "shh" not in repr(settings)


def test_on_a_local_machine_the_local_server_is_the_default() -> None:
    settings = load_settings({"LAUNCHPAD_LOCAL": "1"})
    assert settings.storage.endpoint == "http://127.0.0.1:4569"
    assert settings.file_max_mb == 25


@pytest.mark.parametrize(
    ("content_type", "data", "expected"),
    [
        ("application/pdf", real_pdf(), True),
        ("application/pdf", b"%PD", False),
        ("image/png", b"\x89PNG\r\n\x1a\n" + b"\0" * 8, True),
        ("image/png", b"\xff\xd8\xff\xe0", False),
        ("image/jpeg", b"\xff\xd8\xff\xe0\0\x10JFIF", True),
        ("application/zip", zip_of({"a.txt": "a"}), True),
        ("application/zip", real_pdf(), False),
        (DOCX_TYPE, real_docx(), True),
        (DOCX_TYPE, zip_of({"a.txt": "a"}), False),
        (PPTX_TYPE, real_docx(), False),
        (PPTX_TYPE, zip_of({"[Content_Types].xml": "<Types/>", "ppt/presentation.xml": "<p/>"}), True),
    ],
)
def test_types_are_told_by_their_bytes(content_type: str, data: bytes, expected: bool) -> None:
    assert looks_like(content_type, data[:16], data[-65536:]) is expected


def test_the_files_function_imports_no_sdk_and_no_http_client() -> None:
    import json
    import subprocess

    from devkit.processes import PYTHON, ROOT, subprocess_env

    heavy = ("httpx", "boto3", "botocore", "minio", "lib.core.db")
    probe = (
        f"import json, sys\nimport api.files\nprint(json.dumps([m for m in {heavy!r} if m in sys.modules]))"
    )
    out = subprocess.run(
        [PYTHON, "-c", probe], cwd=ROOT, env=subprocess_env(), capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
