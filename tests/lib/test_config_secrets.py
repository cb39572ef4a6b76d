"""Settings fail closed: the development key and mail defaults only where the process knows it is local."""

from __future__ import annotations

import subprocess

import pytest

from devkit.processes import PYTHON, ROOT, subprocess_env
from lib.core.config import DEV_EMAIL_URL, DEV_SECRET_KEY, ConfigError, load_settings

STRONG_KEY = "k" * 48
MAIL = {
    "EMAIL_URL": "smtp://mailer:pw@mail.example.com:587",
    "EMAIL_FROM": "Launchpad <a@example.com>",
    # Storage is required off a local machine too; these findings are about the other settings.
    "STORAGE_URL": "s3://docs?region=eu-west-1",
    "STORAGE_ACCESS_KEY_ID": "AKIAEXAMPLE",
    "STORAGE_SECRET_ACCESS_KEY": "storage-secret-value",
}
# Every host that is not a developer's machine, as its environment looks when SECRET_KEY is forgotten.
NOT_LOCAL = {
    "no VERCEL_ENV (a server, a container)": {},
    "preview deployment": {"VERCEL": "1", "VERCEL_ENV": "preview"},
    "vercel dev without the local flag": {
        "AWS_LAMBDA_FUNCTION_NAME": "zeit-fun-1",
        "VERCEL_URL": "127.0.0.1:3000",
    },
    "a development deployment's variables": {"VERCEL": "1", "VERCEL_ENV": "development"},
    "AWS Lambda (Mangum handler)": {"AWS_LAMBDA_FUNCTION_NAME": "launchpad-projects"},
    # A copied .env must not carry the flag onto a reachable host.
    "preview with the local flag copied": {"VERCEL_ENV": "preview", "LAUNCHPAD_LOCAL": "1"},
    "production with the local flag copied": {"VERCEL_ENV": "production", "LAUNCHPAD_LOCAL": "1"},
    "Lambda with the local flag copied": {"AWS_LAMBDA_FUNCTION_NAME": "x", "LAUNCHPAD_LOCAL": "1"},
    "Lambda with the flag and a public VERCEL_URL": {
        "AWS_LAMBDA_FUNCTION_NAME": "x",
        "LAUNCHPAD_LOCAL": "1",
        "VERCEL_URL": "launchpad.example.com",
    },
}


@pytest.mark.parametrize("host", sorted(NOT_LOCAL))
def test_finding_1_dev_key_refused_outside_local(host: str) -> None:
    env = NOT_LOCAL[host]
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        load_settings({**env, **MAIL})
    for weak in (DEV_SECRET_KEY, "short-key", "changeme"):
        with pytest.raises(ConfigError, match="SECRET_KEY is too weak"):
            load_settings({**env, **MAIL, "SECRET_KEY": weak})
    # The other checked secrets fail closed by the same rule: mail must go somewhere real.
    with pytest.raises(ConfigError, match="EMAIL_URL is not set"):
        load_settings({**env, "SECRET_KEY": STRONG_KEY})
    with pytest.raises(ConfigError, match="local://"):
        load_settings({**env, **MAIL, "SECRET_KEY": STRONG_KEY, "EMAIL_URL": "local://.data/mail"})
    assert load_settings({**env, **MAIL, "SECRET_KEY": STRONG_KEY}).secret_key == STRONG_KEY


@pytest.mark.parametrize(
    "where",
    [
        {"LAUNCHPAD_LOCAL": "1"},
        # What vercel dev's Python runtime hands a function: Lambda's variables and a loopback URL.
        {"LAUNCHPAD_LOCAL": "1", "AWS_LAMBDA_FUNCTION_NAME": "zeit-fun-1", "VERCEL_URL": "127.0.0.1:3000"},
    ],
    ids=["make dev and the tests", "make vercel-dev"],
)
def test_finding_1_dev_key_only_where_local(where: dict[str, str]) -> None:
    settings = load_settings(where)
    assert settings.secret_key == DEV_SECRET_KEY
    assert settings.email_url == DEV_EMAIL_URL


def test_finding_1_a_function_without_its_key_refuses_to_start() -> None:
    """Importing a function on a preview host without SECRET_KEY stops with the error a user sees."""
    env = subprocess_env(VERCEL="1", VERCEL_ENV="preview", **MAIL)
    for name in ("SECRET_KEY", "LAUNCHPAD_LOCAL"):
        env.pop(name, None)
    run = subprocess.run(
        [PYTHON, "-c", "import api.auth"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("lib.core.config.ConfigError: SECRET_KEY is not set."), last
    assert DEV_SECRET_KEY not in run.stderr


@pytest.mark.parametrize("host", sorted(NOT_LOCAL))
def test_finding_10_weak_cron_secret_refused_outside_local(host: str) -> None:
    env = {**NOT_LOCAL[host], **MAIL, "SECRET_KEY": STRONG_KEY}
    for weak in ("short", "x" * 15, "changeme", "password"):
        with pytest.raises(ConfigError, match="CRON_SECRET is too weak"):
            load_settings({**env, "CRON_SECRET": weak})
    assert load_settings(env).cron_secret is None  # unset: the crons answer 401
    assert load_settings({**env, "CRON_SECRET": "c" * 16}).cron_secret == "c" * 16
    assert load_settings({"LAUNCHPAD_LOCAL": "1", "CRON_SECRET": "dev"}).cron_secret == "dev"
