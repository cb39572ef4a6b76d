"""Every setting, read from the environment once and validated in one place."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal, TypeVar
from urllib.parse import unquote, urlsplit

# A development-only key, published here: used only where the process knows it runs locally (LAUNCHPAD_LOCAL).
DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me-0123456789"
MIN_SECRET_KEY_LENGTH = 32
MIN_CRON_SECRET_LENGTH = 16  # Vercel's cron docs: a random string of at least 16 characters
WEAK_SECRET_KEYS = frozenset({DEV_SECRET_KEY, "secret", "changeme", "change-me", "password"})


ChoiceT = TypeVar("ChoiceT", bound=str)


class ConfigError(RuntimeError):
    """A setting is missing or invalid; the message names it and says how to fix it."""


# Where mail goes when EMAIL_URL is unset locally (make dev, the tests): .eml files under .data/.
DEV_EMAIL_URL = "local://.data/mail"
DEV_EMAIL_FROM = "Launchpad <no-reply@launchpad.local>"
EmailScheme = Literal["smtp", "smtps", "resend", "local"]
_EMAIL_SCHEMES: tuple[EmailScheme, ...] = ("smtp", "smtps", "resend", "local")
# `address` or `Name <address>` on one line (a regex: email.utils would cost every cold start ~8 ms).
_SENDER = re.compile(r"[^<>@\s]+@[^<>@\s]+|[^<>\r\n]*<[^<>@\s]+@[^<>@\s]+>")


@dataclass(frozen=True)
class EmailTarget:
    """EMAIL_URL taken apart: an SMTP host and login, a Resend key, or a folder."""

    scheme: EmailScheme
    host: str | None = None
    port: int | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)
    path: str | None = None


def parse_email_url(url: str) -> EmailTarget:
    """`smtp://user:pass@host:587`, `smtps://user:pass@host:465`, `smtp://host:1025`, `resend://KEY`, `local://dir`.

    The error never repeats the URL: it may hold a password or an API key.
    """
    scheme, _, rest = url.partition("://")
    scheme = scheme.lower()
    if not rest or scheme not in _EMAIL_SCHEMES:
        raise ConfigError(
            "EMAIL_URL must look like smtp://user:pass@host:587, smtps://user:pass@host:465, "
            "smtp://host:1025, resend://API_KEY or local://<folder>"
        )
    if scheme == "local":
        return EmailTarget("local", path=rest)
    if scheme == "resend":
        return EmailTarget("resend", api_key=unquote(rest))
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise ConfigError("EMAIL_URL has an invalid port") from None
    if not parts.hostname:
        raise ConfigError("EMAIL_URL names no mail server host")
    if (parts.username is None) != (parts.password is None):
        raise ConfigError("EMAIL_URL must give both a user and a password, or neither")
    return EmailTarget(
        "smtps" if scheme == "smtps" else "smtp",
        host=parts.hostname,
        port=port or (465 if scheme == "smtps" else 587),
        username=None if parts.username is None else unquote(parts.username),
        password=None if parts.password is None else unquote(parts.password),
    )


# Where files go when STORAGE_URL is unset on a local machine (LAUNCHPAD_LOCAL): the local S3 server
# that `make dev` and the tests start (devkit/s3_server.py), with its own key pair, which is no secret.
DEV_STORAGE_URL = "s3://launchpad?endpoint=http://127.0.0.1:4569&region=us-east-1"
DEV_STORAGE_ACCESS_KEY_ID = "launchpad-local"
DEV_STORAGE_SECRET_ACCESS_KEY = "launchpad-local-secret"
# S3's bucket names (3-63 lowercase letters, digits, dots and hyphens), which R2 and MinIO share.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


@dataclass(frozen=True)
class StorageTarget:
    """STORAGE_URL taken apart: the bucket, the endpoint its API answers on, the signing region."""

    bucket: str
    endpoint: str
    region: str
    path_style: bool  # endpoint/bucket/key; False: bucket.endpoint/key (AWS without an endpoint)


def parse_storage_url(url: str) -> StorageTarget:
    """`s3://bucket?endpoint=https://host&region=auto` (R2, MinIO) or `s3://bucket?region=eu-west-1` (AWS)."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not _BUCKET.fullmatch(parts.netloc) or parts.path not in ("", "/"):
        raise ConfigError(
            "STORAGE_URL must look like s3://<bucket>?endpoint=https://<host>&region=auto "
            "(R2, MinIO) or s3://<bucket>?region=<aws region> (AWS S3)"
        )
    options = dict(pair.partition("=")[::2] for pair in parts.query.split("&") if pair)
    unknown = set(options) - {"endpoint", "region", "path_style"}
    if unknown:
        raise ConfigError(
            f"STORAGE_URL: unknown option {sorted(unknown)[0]!r} (endpoint, region, path_style)"
        )
    endpoint = unquote(options.get("endpoint", ""))
    region = unquote(options.get("region", "")) or ("auto" if endpoint else "us-east-1")
    if endpoint:
        target = urlsplit(endpoint)
        if target.scheme not in ("http", "https") or not target.netloc or target.path not in ("", "/"):
            raise ConfigError("STORAGE_URL: endpoint must be http(s)://host[:port] with no path")
        endpoint = f"{target.scheme}://{target.netloc}"
    else:
        endpoint = f"https://s3.{region}.amazonaws.com"
    path_style = (
        _choice(options, "path_style", "true" if options.get("endpoint") else "false", _SWITCH) in _ON
    )
    return StorageTarget(bucket=parts.netloc, endpoint=endpoint, region=region, path_style=path_style)


@dataclass(frozen=True)
class Settings:
    """The validated settings; build it with `get_settings()`."""

    database_url: str | None
    database_url_unpooled: str | None
    secret_key: str = field(repr=False)
    admin_email: str | None
    admin_password: str | None = field(repr=False)
    frontend_url: str | None
    slow_query_ms: int
    db_pool_size: int
    db_pool_recycle: int
    db_pooler: Literal["auto", "prepared", "legacy", "on", "off"]
    db_connect_timeout: float
    db_idle_ping_seconds: float
    log_level: str
    log_format: Literal["json", "console"]
    vercel_env: str
    # Running on Vercel (VERCEL is set, `vercel dev` included): only then is `x-vercel-id` Vercel's.
    on_vercel: bool
    # Proxies in front of the function that append to X-Forwarded-For (not on Vercel, which sets it).
    trusted_proxy_hops: int
    access_token_minutes: int
    ai_api_url: str | None
    ai_api_key: str | None = field(repr=False)
    ai_model: str | None
    ai_timeout_seconds: float
    cron_secret: str | None = field(repr=False)
    activity_retention_days: int
    chatbot_retention_days: int | None
    # Mail (lib/mail): where it goes (the URL may hold a password or key), from whom, how long a
    # request may spend sending after its commit, and how often the retry path tries a message.
    email_url: str = field(repr=False)
    email_from: str
    email_send_budget_seconds: float
    email_max_attempts: int
    # Accounts: when on, an unverified account's writes (other than /api/auth/*) are a 403.
    require_verified_email: bool
    # Payments (lib/payments): `manual` is admins marking orders paid; a provider needs its keys.
    payment_provider: PaymentMode
    razorpay_key_id: str | None
    razorpay_key_secret: str | None = field(repr=False)
    razorpay_webhook_secret: str | None = field(repr=False)
    stripe_secret_key: str | None = field(repr=False)
    stripe_webhook_secret: str | None = field(repr=False)
    payment_timeout_seconds: float
    # Files (lib/storage): the bucket, the key that signs its URLs, and the largest upload accepted.
    storage_url: str
    storage_access_key_id: str
    storage_secret_access_key: str = field(repr=False)
    file_max_mb: int

    @property
    def storage(self) -> StorageTarget:
        return parse_storage_url(self.storage_url)

    @property
    def email_target(self) -> EmailTarget:
        return parse_email_url(self.email_url)

    @property
    def migration_url(self) -> str | None:
        """The direct (unpooled) URL migrations must use, falling back to the pooled one."""
        return self.database_url_unpooled or self.database_url


def _text(env: dict[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _int(env: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = _text(env, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _float(env: dict[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = _text(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _choice(env: dict[str, str], name: str, default: ChoiceT, choices: tuple[ChoiceT, ...]) -> ChoiceT:
    value = (_text(env, name) or default).lower()
    for choice in choices:
        if choice == value:
            return choice
    raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")


_SWITCH = ("on", "off", "true", "false", "1", "0", "yes", "no")
_ON = frozenset({"on", "true", "1", "yes"})
# Set by `make dev`, `make vercel-dev` and the tests: the only places development defaults apply.
LOCAL_FLAG = "LAUNCHPAD_LOCAL"
_GENERATE = 'generate one with `python -c "import secrets; print(secrets.token_urlsafe(48))"`'


def is_local(env: dict[str, str]) -> bool:
    """True only where the process was told it runs on a developer's machine.

    Fail closed: nothing else (VERCEL_ENV=development, an unset VERCEL_ENV, a Lambda host) counts as
    local, and a Vercel deployment (preview or production) or AWS Lambda ignores the flag, so a
    copied environment cannot bring the published development key to a reachable host. The one
    Lambda-like host that is local is `vercel dev`: its runtime emulates Lambda (AWS_LAMBDA_* set,
    no VERCEL or VERCEL_ENV) and serves on a loopback VERCEL_URL, which no deployment has.
    """
    if _choice(env, LOCAL_FLAG, "off", _SWITCH) not in _ON:
        return False
    vercel_env = (_text(env, "VERCEL_ENV") or "").lower()
    if vercel_env in ("production", "preview"):
        return False
    host = (_text(env, "VERCEL_URL") or "").rsplit(":", 1)[0]
    vercel_dev = host in ("127.0.0.1", "localhost", "[::1]")
    return vercel_dev or _text(env, "AWS_LAMBDA_FUNCTION_NAME") is None


def _secret_key(env: dict[str, str], local: bool) -> str:
    key = _text(env, "SECRET_KEY")
    if local:
        return key or DEV_SECRET_KEY
    if key is None:
        raise ConfigError(
            "SECRET_KEY is not set. Outside make dev and the tests (preview and production deployments, "
            f"vercel dev, AWS Lambda) it signs every access token and is required; {_GENERATE}."
        )
    if len(key) < MIN_SECRET_KEY_LENGTH or key.lower() in WEAK_SECRET_KEYS:
        raise ConfigError(
            f"SECRET_KEY is too weak: use at least {MIN_SECRET_KEY_LENGTH} random characters; {_GENERATE}."
        )
    return key


def _cron_secret(env: dict[str, str], local: bool) -> str | None:
    """Unset: the crons answer 401. Set outside make dev and the tests: long and not a known word."""
    secret = _text(env, "CRON_SECRET")
    if secret is None or local:
        return secret
    if len(secret) < MIN_CRON_SECRET_LENGTH or secret.lower() in WEAK_SECRET_KEYS:
        raise ConfigError(
            f"CRON_SECRET is too weak: anyone who guesses it runs the crons; use at least "
            f"{MIN_CRON_SECRET_LENGTH} random characters; {_GENERATE}."
        )
    return secret


def _email_url(env: dict[str, str], local: bool) -> str:
    url = _text(env, "EMAIL_URL")
    if url is None:
        if not local:
            raise ConfigError(
                "EMAIL_URL is not set. Outside make dev and the tests mail must go somewhere real: "
                "smtp://user:pass@host:587 (STARTTLS), smtps://user:pass@host:465 or resend://API_KEY."
            )
        return DEV_EMAIL_URL
    if parse_email_url(url).scheme == "local" and not local:
        raise ConfigError(
            "EMAIL_URL=local:// only writes files: use smtp://, smtps:// or resend:// outside make dev"
        )
    return url


def _email_from(env: dict[str, str], local: bool) -> str:
    sender = _text(env, "EMAIL_FROM")
    if sender is None:
        if not local:
            raise ConfigError(
                "EMAIL_FROM is not set. Outside make dev and the tests say who mail is from: "
                '"Launchpad <no-reply@example.com>"'
            )
        return DEV_EMAIL_FROM
    if not _SENDER.fullmatch(sender):
        raise ConfigError(f'EMAIL_FROM must be an address or "Name <address>", got {sender!r}')
    return sender


PaymentMode = Literal["manual", "razorpay", "stripe"]
_PAYMENT_MODES: tuple[PaymentMode, ...] = ("manual", "razorpay", "stripe")
_PAYMENT_KEYS: dict[str, tuple[str, ...]] = {
    "razorpay": ("RAZORPAY_KEY_ID", "RAZORPAY_KEY_SECRET", "RAZORPAY_WEBHOOK_SECRET"),
    "stripe": ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"),
}


def _payment_provider(env: dict[str, str]) -> PaymentMode:
    """PAYMENT_PROVIDER, else the provider whose keys are set, else `manual`; a provider lacking a key fails.

    Anywhere, not only in production: a provider without its webhook secret could not tell a real
    payment from a forged one, so it does not start.
    """
    chosen = _text(env, "PAYMENT_PROVIDER")
    if chosen is None:
        chosen = next((name for name, keys in _PAYMENT_KEYS.items() if _text(env, keys[0])), "manual")
    mode = _choice({"PAYMENT_PROVIDER": chosen}, "PAYMENT_PROVIDER", "manual", _PAYMENT_MODES)
    missing = [key for key in _PAYMENT_KEYS.get(mode, ()) if _text(env, key) is None]
    if missing:
        raise ConfigError(f"PAYMENT_PROVIDER={mode} needs {', '.join(missing)} (see docs/DEPLOYMENT.md)")
    return mode


def _storage(env: dict[str, str], local: bool) -> tuple[str, str, str]:
    """STORAGE_URL and its key pair; the local server's, where the machine is local, when none is set."""
    url = _text(env, "STORAGE_URL")
    key_id = _text(env, "STORAGE_ACCESS_KEY_ID")
    secret = _text(env, "STORAGE_SECRET_ACCESS_KEY")
    if url is None:
        if not local:
            raise ConfigError(
                "STORAGE_URL is not set. Outside make dev and the tests, files go to S3-compatible storage: "
                "s3://<bucket>?endpoint=https://<account>.r2.cloudflarestorage.com&region=auto (R2), "
                "s3://<bucket>?region=<region> (AWS S3) or s3://<bucket>?endpoint=https://<minio host>"
            )
        url = DEV_STORAGE_URL
        key_id = key_id or DEV_STORAGE_ACCESS_KEY_ID
        secret = secret or DEV_STORAGE_SECRET_ACCESS_KEY
    parse_storage_url(url)
    if key_id is None or secret is None:
        raise ConfigError(
            "STORAGE_ACCESS_KEY_ID and STORAGE_SECRET_ACCESS_KEY must both be set with STORAGE_URL "
            "(an access key of the bucket allowed to put, get and delete objects)"
        )
    return url, key_id, secret


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Build and validate settings from `env` (default: the process environment)."""
    env = dict(os.environ if env is None else env)
    vercel_env = (_text(env, "VERCEL_ENV") or "development").lower()
    local = is_local(env)
    on_vercel = _text(env, "VERCEL") is not None
    retention_chat = _text(env, "CHATBOT_RETENTION_DAYS")
    # The key, then mail, then storage: a ConfigError names the first missing setting in the docs' order.
    secret_key = _secret_key(env, local)
    email_url, email_from = _email_url(env, local), _email_from(env, local)
    storage_url, storage_key_id, storage_secret = _storage(env, local)
    return Settings(
        database_url=_text(env, "DATABASE_URL"),
        database_url_unpooled=_text(env, "DATABASE_URL_UNPOOLED"),
        secret_key=secret_key,
        admin_email=_text(env, "ADMIN_EMAIL"),
        admin_password=_text(env, "ADMIN_PASSWORD"),
        frontend_url=_text(env, "FRONTEND_URL"),
        slow_query_ms=_int(env, "SLOW_QUERY_MS", 500, 0, 600_000),
        db_pool_size=_int(env, "DB_POOL_SIZE", 5, 1, 100),
        db_pool_recycle=_int(env, "DB_POOL_RECYCLE", 300, 1, 86_400),
        db_pooler=_choice(env, "DB_POOLER", "auto", ("auto", "prepared", "legacy", "on", "off")),
        db_connect_timeout=_float(env, "DB_CONNECT_TIMEOUT", 5.0, 0.1, 60.0),
        db_idle_ping_seconds=_float(env, "DB_IDLE_PING_SECONDS", 10.0, 0.0, 3600.0),
        log_level=_choice(
            env, "LOG_LEVEL", "info", ("debug", "info", "warning", "error", "critical")
        ).upper(),
        log_format=_choice(env, "LOG_FORMAT", "json" if on_vercel else "console", ("json", "console")),
        vercel_env=vercel_env,
        on_vercel=on_vercel,
        trusted_proxy_hops=_int(env, "TRUSTED_PROXY_HOPS", 0, 0, 10),
        access_token_minutes=_int(env, "ACCESS_TOKEN_MINUTES", 60, 1, 60 * 24 * 30),
        ai_api_url=_text(env, "AI_API_URL"),
        ai_api_key=_text(env, "AI_API_KEY"),
        ai_model=_text(env, "AI_MODEL"),
        # A person waits for this: at most 9 s, then the built-in answer (far inside Vercel's default
        # 300 s function limit, which vercel.json no longer lowers: `vercel dev` rejects per-function limits).
        ai_timeout_seconds=_float(env, "AI_TIMEOUT_SECONDS", 8.0, 0.1, 9.0),
        cron_secret=_cron_secret(env, local),
        activity_retention_days=_int(env, "ACTIVITY_RETENTION_DAYS", 90, 1, 36_500),
        chatbot_retention_days=(
            None if retention_chat is None else _int(env, "CHATBOT_RETENTION_DAYS", 0, 1, 36_500)
        ),
        email_url=email_url,
        email_from=email_from,
        # Spent after the commit, while the person waits: past it, the cron sends what is left.
        email_send_budget_seconds=_float(env, "EMAIL_SEND_BUDGET_SECONDS", 3.0, 0.1, 8.0),
        email_max_attempts=_int(env, "EMAIL_MAX_ATTEMPTS", 8, 1, 50),
        require_verified_email=_choice(env, "REQUIRE_VERIFIED_EMAIL", "off", _SWITCH) in _ON,
        payment_provider=_payment_provider(env),
        razorpay_key_id=_text(env, "RAZORPAY_KEY_ID"),
        razorpay_key_secret=_text(env, "RAZORPAY_KEY_SECRET"),
        razorpay_webhook_secret=_text(env, "RAZORPAY_WEBHOOK_SECRET"),
        stripe_secret_key=_text(env, "STRIPE_SECRET_KEY"),
        stripe_webhook_secret=_text(env, "STRIPE_WEBHOOK_SECRET"),
        # One deadline for a whole provider call, far inside the function's limit: past it, a 503.
        payment_timeout_seconds=_float(env, "PAYMENT_TIMEOUT_SECONDS", 8.0, 0.1, 20.0),
        storage_url=storage_url,
        storage_access_key_id=storage_key_id,
        storage_secret_access_key=storage_secret,
        file_max_mb=_int(env, "FILE_MAX_MB", 25, 1, 5_000),
    )


def migration_url(env: dict[str, str] | None = None) -> str | None:
    """The URL migrations use, without the other settings: the deploy hook has no signing key or mail."""
    env = dict(os.environ if env is None else env)
    return _text(env, "DATABASE_URL_UNPOOLED") or _text(env, "DATABASE_URL")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, validated on first use (tests call `get_settings.cache_clear()`)."""
    return load_settings()
