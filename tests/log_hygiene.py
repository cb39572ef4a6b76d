"""Pytest plugin: no log line of the suite carries a password, a token or a key.

Enable it with `pytest_plugins = ["tests.log_hygiene"]` in tests/conftest.py. It looks at:

* every line structlog renders in the test process: the renderer configured by `lib.core.log` is
  wrapped once at session start (and re-wrapped if something reconfigures structlog), so the
  exact emitted text is recorded, attributed to the running test;
* each test's captured stdout, stderr and log records (the report's "Captured stdout/stderr/log"
  sections: what `report.capstdout/capstderr/caplog` join), for setup, call and teardown;
* output of subprocesses a test hands over with `scan_text(source, text)` (the dev servers and
  migrations of the fault and soak tests do; other tests' subprocess output is only seen when the
  test prints it).

The secrets: SECRET_KEY, AI_API_KEY, CRON_SECRET, ADMIN_PASSWORD and STORAGE_SECRET_ACCESS_KEY
from the environment, the AI key, the storage secret, the mail password and the Resend key
(EMAIL_URL) and the payment providers' key and webhook secrets of the settings a test installed,
`tests.support.DEFAULT_PASSWORD`, anything shaped like a JWT (`eyJ…`), a presigned URL's signature
(`X-Amz-Signature=…`), and SQLAlchemy's rendering of a statement's values (`[parameters: …]`,
which the engine's `hide_parameters` keeps out of every error). At the end of the session
(`pytest_sessionfinish`) every recorded structlog line is scanned again with every secret seen by
then; if anything leaked, the leaks are printed (masked) and the run's exit status becomes
TESTS_FAILED, whichever tests were selected.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# A presigned storage URL's signature: whoever reads the line can use the URL until it expires.
PRESIGNED = re.compile(r"X-Amz-Signature=[0-9a-f]{64}")
# How SQLAlchemy prints a failed statement's bound values (hash, emails, mail bodies) into its error.
SQL_PARAMETERS = "[parameters: "
SECRET_ENV = ("SECRET_KEY", "AI_API_KEY", "CRON_SECRET", "ADMIN_PASSWORD", "STORAGE_SECRET_ACCESS_KEY")
MIN_SECRET_LENGTH = 8  # shorter values would match ordinary text


@dataclass(frozen=True)
class Leak:
    where: str  # test id (or subprocess source) and phase
    stream: str  # structlog, stdout, stderr, log, or the subprocess name
    secret: str  # the secret's name, never its value
    context: str  # the line, with the secret masked

    def __str__(self) -> str:
        return f"{self.where} [{self.stream}] {self.secret}: {self.context}"


LINES: list[tuple[str, str]] = []  # (test id, rendered structlog line): every line of the session
LEAKS: list[Leak] = []
SCANNED = {"structlog": 0, "captured": 0, "external": 0}
_secrets: dict[str, str] = {}  # value -> name; grows as tests install secrets
_current = "(session)"
_logging_configured = False


def remember_secrets() -> None:
    """Add the secrets visible right now (environment, settings a test installed)."""
    from tests.support import DEFAULT_PASSWORD

    found = {"DEFAULT_PASSWORD": DEFAULT_PASSWORD}
    for name in SECRET_ENV:
        if value := os.environ.get(name, "").strip():
            found[name] = value
    config = sys.modules.get("lib.core.config")
    if config is not None:
        getter = config.get_settings
        cache_info = getattr(getter, "cache_info", None)
        # Never build settings here (that would freeze them early): only read what exists.
        if cache_info is None or cache_info().currsize:
            try:
                settings = getter()
            except Exception:
                settings = None
            if settings is not None:
                for name, attr in (
                    ("SECRET_KEY", "secret_key"),
                    ("AI_API_KEY", "ai_api_key"),
                    ("RAZORPAY_KEY_SECRET", "razorpay_key_secret"),
                    ("RAZORPAY_WEBHOOK_SECRET", "razorpay_webhook_secret"),
                    ("STRIPE_SECRET_KEY", "stripe_secret_key"),
                    ("STRIPE_WEBHOOK_SECRET", "stripe_webhook_secret"),
                    ("STORAGE_SECRET_ACCESS_KEY", "storage_secret_access_key"),
                ):
                    if value := getattr(settings, attr, None):
                        found[name] = value
                if value := getattr(settings, "cron_secret", None):
                    found["CRON_SECRET"] = value
                # EMAIL_URL's SMTP password or Resend key (lib/mail), whichever a test installed.
                target = _email_target(settings)
                for name, attr in (("EMAIL_PASSWORD", "password"), ("EMAIL_API_KEY", "api_key")):
                    if secret := getattr(target, attr, None):
                        found[name] = str(secret)
    for name, value in found.items():
        if len(value) >= MIN_SECRET_LENGTH:
            _secrets.setdefault(value, name)


def _email_target(settings: Any) -> Any:
    try:
        return settings.email_target
    except Exception:  # settings from before lib/mail, or an EMAIL_URL a test made invalid
        return None


def find_leaks(text: str) -> Iterator[tuple[str, str]]:
    """(secret name, masked line) for every line of `text` carrying a known secret."""
    if not text:
        return
    for line in text.splitlines():
        names = [name for value, name in _secrets.items() if value in line]
        if SQL_PARAMETERS in line:
            names.append("SQL_PARAMETERS")
        jwt = JWT.search(line)
        presigned = PRESIGNED.search(line)
        if not names and not jwt and not presigned:
            continue
        masked = PRESIGNED.sub("X-Amz-Signature=<SIGNATURE>", JWT.sub("<JWT>", line)).split(SQL_PARAMETERS)[0]
        for value, name in _secrets.items():
            masked = masked.replace(value, f"<{name}>")
        for name in [*names, *(["JWT"] if jwt else []), *(["PRESIGNED_URL"] if presigned else [])]:
            yield name, masked[:300]


def _check(where: str, stream: str, text: str) -> None:
    for name, context in find_leaks(text):
        LEAKS.append(Leak(where, stream, name, context))


def scan_text(source: str, text: str) -> None:
    """Scan output a test collected from a subprocess (a server's log, a script's output)."""
    remember_secrets()
    SCANNED["external"] += len(text.splitlines())
    _check(f"{_current} <- {source}", source, text)


# --- structlog: record every rendered line ------------------------------------------------------


class _Recorder:
    """Stands in the renderer's place: renders with it, records and checks the result."""

    hygiene = True

    def __init__(self, renderer: Any) -> None:
        self.renderer = renderer

    def __call__(self, logger: Any, name: str, event_dict: Any) -> Any:
        rendered = self.renderer(logger, name, event_dict)
        line = rendered.decode(errors="replace") if isinstance(rendered, bytes) else str(rendered)
        LINES.append((_current, line))
        SCANNED["structlog"] += 1
        _check(_current, "structlog", line)
        return rendered


def install() -> bool:
    """Wrap the configured renderer once (idempotent); False when structlog is configured otherwise."""
    import structlog

    global _logging_configured
    if not _logging_configured:
        from lib.core import config
        from lib.core.log import configure_logging

        cached = config.get_settings.cache_info().currsize
        configure_logging()
        if not cached:
            config.get_settings.cache_clear()  # settings stay unread until the suite needs them
        _logging_configured = True
    processors = list(structlog.get_config()["processors"])
    if not processors or any(getattr(p, "hygiene", False) for p in processors):
        return bool(processors)
    if getattr(processors[-1], "__module__", "").startswith("structlog.testing"):
        return False  # inside structlog.testing.capture_logs: it restores our config afterwards
    structlog.configure(processors=[*processors[:-1], _Recorder(processors[-1])])
    return True


def recorded_lines() -> int:
    return len(LINES)


def known_secret_names() -> list[str]:
    return sorted(set(_secrets.values()))


# --- pytest hooks -----------------------------------------------------------------------------


def pytest_sessionstart(session: pytest.Session) -> None:
    remember_secrets()
    install()


def pytest_runtest_logstart(nodeid: str, location: tuple[str, int | None, str]) -> None:
    global _current
    _current = nodeid
    install()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    remember_secrets()  # monkeypatched env/settings are in place now
    try:
        return (yield)
    finally:
        remember_secrets()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    remember_secrets()
    where = f"{report.nodeid} ({report.when})"
    # Only this phase's sections ("Captured stderr call"): a later phase's report repeats earlier ones.
    for title, text in report.sections:
        if not title.startswith("Captured ") or not title.endswith(f" {report.when}"):
            continue
        SCANNED["captured"] += len(text.splitlines())
        _check(where, title.split()[1], text)


def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    global _current
    _current = "(between tests)"


def rescan_recorded() -> None:
    """Check every recorded structlog line again with every secret seen in the session."""
    remember_secrets()
    known = {(leak.where, leak.context) for leak in LEAKS}
    for where, line in LINES:
        for name, context in find_leaks(line):
            if (where, context) not in known:
                LEAKS.append(Leak(where, "structlog (rescan)", name, context))


@pytest.hookimpl(trylast=True)  # after the runner tore down session fixtures (their output counts too)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run (exit status TESTS_FAILED) when any log line of it carried a secret."""
    rescan_recorded()
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        counts = SCANNED
        reporter.write_line(
            f"\n[log hygiene] lines scanned: structlog {counts['structlog']}, captured {counts['captured']}, "
            f"subprocess {counts['external']}; "
            f"secrets {', '.join(known_secret_names())} + JWT + presigned URLs; "
            f"leaks {len(LEAKS)}"
        )
    if not LEAKS:
        return
    if reporter is not None:
        reporter.write_sep("=", f"log hygiene: {len(LEAKS)} leaked secret(s)", red=True)
        reporter.write_line("\n".join(str(leak) for leak in LEAKS[:50]))
    else:
        print(f"log hygiene: {len(LEAKS)} leaked secret(s)", *LEAKS[:50], sep="\n", file=sys.stderr)
    if session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
