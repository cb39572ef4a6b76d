"""The mail backends against real parts: SMTP to a real aiosmtpd, Resend's HTTP mocked (respx), local files.

Also EMAIL_URL itself: each form it takes, production failing closed, its secrets never shown.
"""

from __future__ import annotations

import json
import subprocess
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
import respx

from devkit.processes import PYTHON, ROOT, free_port, subprocess_env
from devkit.smtp_server import SmtpServer
from lib.core.config import ConfigError, EmailTarget, load_settings, parse_email_url
from lib.mail.backends import RESEND_URL, Outgoing, PermanentFailure, local_path, send
from lib.mail.delivery import describe

SENDER = "Launchpad <no-reply@launchpad.test>"
SMTP_PASSWORD = "smtp-pass-8c1f7e2d"
RESEND_KEY = "re_test_key_5b9a0c4e7d"
PRODUCTION = {
    "VERCEL_ENV": "production",
    "SECRET_KEY": "x" * 48,
    "STORAGE_URL": "s3://docs?region=eu-west-1",
    "STORAGE_ACCESS_KEY_ID": "AKIA",
    "STORAGE_SECRET_ACCESS_KEY": "storage-secret",
}
LOCAL = {"LAUNCHPAD_LOCAL": "1"}  # make dev and the tests: the development mail defaults apply


def outgoing(**changes: str) -> Outgoing:
    fields: dict[str, object] = {
        "id": 7,
        "message_id": "<0f3c9a1e2b4d@launchpad>",
        "dedup_key": "verify:7:1",
        "recipient": "ada@example.com",
        "subject": "Confirm your email address — Launchpad",
        "text": "Hello Ada,\n\nhttps://app.test/verify-email?token=abc\n",
        "html": '<p>Hello Ada, <a href="https://app.test/verify-email?token=abc">confirm</a></p>',
    }
    fields.update(changes)
    return Outgoing(**fields)  # type: ignore[arg-type]


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


def assert_headers(message: EmailMessage, sent: Outgoing) -> None:
    assert message["From"] == SENDER
    assert message["To"] == sent.recipient
    assert message["Subject"] == sent.subject
    assert message["Message-ID"] == sent.message_id
    assert message["X-Launchpad-Dedup"] == sent.dedup_key
    assert message["Date"]
    assert message.get_content_type() == "multipart/alternative"


# --- SMTP --------------------------------------------------------------------------------------


@pytest.fixture
def smtp(tmp_path: Path):  # type: ignore[no-untyped-def]
    with SmtpServer(0, tmp_path / "mail", quiet=True) as server:
        yield server


async def test_smtp_delivers_both_parts_and_the_headers(smtp: SmtpServer) -> None:
    sent = outgoing()
    await send(sent, target=parse_email_url(smtp.url), sender=SENDER, timeout=5)
    [received] = smtp.wait_for(1)
    assert received.recipients == ("ada@example.com",)
    assert received.sender == "no-reply@launchpad.test"
    assert_headers(received.message, sent)
    text, html = parts(received.message)
    assert text.replace("\r\n", "\n") == sent.text
    assert html.strip() == sent.html
    # The file the dev server keeps: <timestamp>-<id>.eml under its folder, the bytes as received.
    assert received.path.parent == smtp.folder and received.path.name.endswith("-0f3c9a1e2b4d.eml")
    stored = message_from_bytes(received.path.read_bytes(), policy=policy.default)
    assert stored["Message-ID"] == sent.message_id


async def test_smtp_refused_recipient_is_permanent(tmp_path: Path) -> None:
    with SmtpServer(0, tmp_path, refuse=("nobody@example.com",), quiet=True) as server:
        with pytest.raises(PermanentFailure, match="550"):
            await send(
                outgoing(recipient="nobody@example.com"),
                target=parse_email_url(server.url),
                sender=SENDER,
                timeout=5,
            )
        assert server.messages == []


async def test_smtp_never_sends_a_password_in_clear(smtp: SmtpServer) -> None:
    # The local server offers no STARTTLS: with a login configured, the backend refuses to go on.
    target = parse_email_url(f"smtp://mailer:{SMTP_PASSWORD}@127.0.0.1:{smtp.port}")
    with pytest.raises(Exception) as raised:
        await send(outgoing(), target=target, sender=SENDER, timeout=5)
    assert "STARTTLS" in str(raised.value) or "starttls" in str(raised.value).lower()
    assert SMTP_PASSWORD not in describe(raised.value)
    assert smtp.messages == []


async def test_smtp_server_down_raises_a_retryable_error() -> None:
    target = parse_email_url(f"smtp://mailer:{SMTP_PASSWORD}@127.0.0.1:{free_port()}")
    with pytest.raises(Exception) as raised:
        await send(outgoing(), target=target, sender=SENDER, timeout=2)
    assert not isinstance(raised.value, PermanentFailure)
    assert SMTP_PASSWORD not in describe(raised.value)


# --- Resend ------------------------------------------------------------------------------------


@respx.mock
async def test_resend_request_body_and_headers() -> None:
    route = respx.post(RESEND_URL).mock(return_value=httpx.Response(200, json={"id": "abc"}))
    sent = outgoing()
    await send(sent, target=parse_email_url(f"resend://{RESEND_KEY}"), sender=SENDER, timeout=5)
    request = route.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {RESEND_KEY}"
    assert request.headers["Idempotency-Key"] == sent.dedup_key
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {
        "from": SENDER,
        "to": [sent.recipient],
        "subject": sent.subject,
        "text": sent.text,
        "html": sent.html,
        "headers": {"Message-ID": sent.message_id, "X-Launchpad-Dedup": sent.dedup_key},
    }


@respx.mock
async def test_resend_errors_permanent_or_retryable_and_never_the_key() -> None:
    target = parse_email_url(f"resend://{RESEND_KEY}")
    respx.post(RESEND_URL).mock(
        side_effect=[
            httpx.Response(422, json={"name": "validation_error", "message": "Invalid `to` field."}),
            httpx.Response(429, json={"name": "rate_limit_exceeded"}),
            httpx.Response(503, text="upstream down"),
        ]
    )
    with pytest.raises(PermanentFailure, match="Resend 422: validation_error") as permanent:
        await send(outgoing(), target=target, sender=SENDER, timeout=5)
    with pytest.raises(RuntimeError, match="Resend 429: rate_limit_exceeded") as limited:
        await send(outgoing(), target=target, sender=SENDER, timeout=5)
    with pytest.raises(RuntimeError, match="Resend 503") as down:
        await send(outgoing(), target=target, sender=SENDER, timeout=5)
    for error in (permanent.value, limited.value, down.value):
        assert RESEND_KEY not in describe(error)


# --- local files -------------------------------------------------------------------------------


async def test_local_writes_one_eml_file_per_message(tmp_path: Path) -> None:
    sent = outgoing()
    folder = tmp_path / "out" / "mail"
    await send(sent, target=parse_email_url(f"local://{folder}"), sender=SENDER, timeout=5)
    path = local_path(sent.message_id, folder)
    assert path.name == "0f3c9a1e2b4d@launchpad.eml"
    assert [p.name for p in folder.iterdir()] == [path.name]  # no partial file left behind
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert_headers(message, sent)
    text, html = parts(message)
    assert text == sent.text and html.strip() == sent.html


# --- EMAIL_URL and the other settings ----------------------------------------------------------


def test_email_url_forms() -> None:
    assert parse_email_url("smtp://user%40corp:p%3Ass@mail.example.com:587") == EmailTarget(
        "smtp", host="mail.example.com", port=587, username="user@corp", password="p:ss"
    )
    assert parse_email_url("smtps://u:p@mail.example.com") == EmailTarget(
        "smtps", host="mail.example.com", port=465, username="u", password="p"
    )
    assert parse_email_url("smtp://127.0.0.1:1025") == EmailTarget("smtp", host="127.0.0.1", port=1025)
    assert parse_email_url(f"resend://{RESEND_KEY}") == EmailTarget("resend", api_key=RESEND_KEY)
    assert parse_email_url("local://.data/mail") == EmailTarget("local", path=".data/mail")
    for bad in (
        "mailto:s3cr3t",
        "http://u:s3cr3t@x",
        "smtp://",
        "smtp://u:s3cr3t@",
        "smtp://s3cr3t@host:25",
        "smtp://u:s3cr3t@h:notaport",
        "resend://",
    ):
        with pytest.raises(ConfigError) as refused:
            parse_email_url(bad)
        assert "s3cr3t" not in str(refused.value)


def test_email_settings_defaults_and_limits() -> None:
    settings = load_settings(LOCAL)
    assert settings.email_url == "local://.data/mail"
    assert settings.email_from == "Launchpad <no-reply@launchpad.local>"
    assert (settings.email_send_budget_seconds, settings.email_max_attempts) == (3.0, 8)
    for name, value in (("EMAIL_SEND_BUDGET_SECONDS", "0.05"), ("EMAIL_SEND_BUDGET_SECONDS", "9")):
        with pytest.raises(ConfigError, match=name):
            load_settings({**LOCAL, name: value})
    with pytest.raises(ConfigError, match="EMAIL_MAX_ATTEMPTS"):
        load_settings({**LOCAL, "EMAIL_MAX_ATTEMPTS": "0"})
    with pytest.raises(ConfigError, match="EMAIL_FROM"):
        load_settings({**LOCAL, "EMAIL_FROM": "not an address"})


def test_production_fails_closed_without_real_mail() -> None:
    with pytest.raises(ConfigError, match="EMAIL_URL is not set"):
        load_settings(PRODUCTION)
    with pytest.raises(ConfigError, match="local://"):
        load_settings({**PRODUCTION, "EMAIL_URL": "local://.data/mail", "EMAIL_FROM": SENDER})
    with pytest.raises(ConfigError, match="EMAIL_FROM is not set"):
        load_settings({**PRODUCTION, "EMAIL_URL": f"resend://{RESEND_KEY}"})
    settings = load_settings({**PRODUCTION, "EMAIL_URL": f"resend://{RESEND_KEY}", "EMAIL_FROM": SENDER})
    assert settings.email_target.api_key == RESEND_KEY


def test_the_password_and_key_never_show_in_a_repr() -> None:
    smtp = load_settings({**LOCAL, "EMAIL_URL": f"smtp://mailer:{SMTP_PASSWORD}@mail.example.com:587"})
    resend = load_settings({**LOCAL, "EMAIL_URL": f"resend://{RESEND_KEY}"})
    for shown in (repr(smtp), repr(smtp.email_target), repr(resend), repr(resend.email_target)):
        assert SMTP_PASSWORD not in shown and RESEND_KEY not in shown


# --- what a function that sends no mail imports ------------------------------------------------

MAIL_IMPORTS = """
import json, sys
import api.projects, api.cron.outbox
print(json.dumps(sorted(m for m in sys.modules if m.startswith(("lib.mail", "aiosmtplib")))))
"""


def test_mail_is_imported_only_where_mail_is_sent() -> None:
    projects_only = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", "import api.projects"],
        cwd=ROOT,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert projects_only.returncode == 0, projects_only.stderr
    imported = [line.rsplit("|", 1)[-1].strip() for line in projects_only.stderr.splitlines()]
    assert not [name for name in imported if name.startswith(("lib.mail", "aiosmtplib"))]
    # The cron sends mail: the delivery code, but its SMTP client only once a message goes out by SMTP.
    with_cron = subprocess.run(
        [PYTHON, "-c", MAIL_IMPORTS],
        cwd=ROOT,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert with_cron.returncode == 0, with_cron.stderr
    loaded = json.loads(with_cron.stdout.strip().splitlines()[-1])
    assert "lib.mail.delivery" in loaded and not [m for m in loaded if m.startswith("aiosmtplib")]
