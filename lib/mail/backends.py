"""The three ways a message leaves: SMTP (aiosmtplib), Resend's HTTP API (httpx), or a local .eml file.

`send(message, target=..., sender=..., timeout=...)` picks the backend from EMAIL_URL (`EmailTarget`).
Every message carries its stable `Message-ID` and `X-Launchpad-Dedup` (the dedup key); Resend also
gets the dedup key as its `Idempotency-Key`, so a retry it has already accepted is not sent twice.
A failure raises: `PermanentFailure` when trying again cannot help (a refused recipient, a 4xx from
Resend), anything else is worth a retry. Error texts never hold the password or the API key.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import TYPE_CHECKING

from lib.core.config import EmailTarget

if TYPE_CHECKING:
    import httpx

RESEND_URL = "https://api.resend.com/emails"
DEDUP_HEADER = "X-Launchpad-Dedup"


class PermanentFailure(Exception):
    """The mail service refused the message for good: retrying cannot help."""


@dataclass(frozen=True)
class Outgoing:
    """One outbox row, as sent."""

    id: int
    message_id: str
    dedup_key: str
    recipient: str
    subject: str
    text: str
    html: str


def mime_message(message: Outgoing, sender: str) -> EmailMessage:
    """The message as MIME: multipart/alternative, text first and HTML second."""
    mime = EmailMessage()
    mime["From"] = sender
    mime["To"] = message.recipient
    mime["Subject"] = message.subject
    mime["Date"] = formatdate(localtime=False, usegmt=True)
    mime["Message-ID"] = message.message_id
    mime[DEDUP_HEADER] = message.dedup_key
    mime.set_content(message.text)
    mime.add_alternative(message.html, subtype="html")
    return mime


async def send(message: Outgoing, *, target: EmailTarget, sender: str, timeout: float) -> None:
    """Hand `message` to the backend EMAIL_URL names; raises when it was not accepted."""
    if target.scheme in ("smtp", "smtps"):
        await _send_smtp(message, target, sender, timeout)
    elif target.scheme == "resend":
        await _send_resend(message, target, sender, timeout)
    else:
        _write_local(message, target, sender)


async def _send_smtp(message: Outgoing, target: EmailTarget, sender: str, timeout: float) -> None:
    # Late import: aiosmtplib only where a message goes out over SMTP (the delivery code is already
    # late-imported by the runner; this keeps Resend and local senders from paying for it too).
    import aiosmtplib

    login = target.username is not None
    client = aiosmtplib.SMTP(
        hostname=target.host,
        port=target.port,
        username=target.username,
        password=target.password,
        use_tls=target.scheme == "smtps",
        # A password never crosses in clear: STARTTLS is required when logging in, and
        # taken when offered otherwise (a local server offers none).
        start_tls=True if login and target.scheme == "smtp" else None,
        timeout=timeout,
    )
    try:
        await client.connect()  # and STARTTLS and the login, as configured
        await client.send_message(mime_message(message, sender))
    except aiosmtplib.SMTPRecipientsRefused as refused:
        raise PermanentFailure(f"recipient refused: {_smtp_codes(refused)}") from None
    except aiosmtplib.SMTPResponseException as response:
        if 500 <= response.code < 600 and not isinstance(response, aiosmtplib.SMTPAuthenticationError):
            raise PermanentFailure(f"SMTP {response.code}: {response.message[:200]}") from None
        raise
    finally:
        # No QUIT: once the message is accepted nothing more is owed, and a server that stalls
        # (or a budget that ran out mid-send) must not hold the caller for another round trip.
        client.close()


def _smtp_codes(refused: Exception) -> str:
    recipients = getattr(refused, "recipients", [])
    return ", ".join(str(getattr(item, "code", "?")) for item in recipients) or "refused"


async def _send_resend(message: Outgoing, target: EmailTarget, sender: str, timeout: float) -> None:
    import httpx  # only senders that reach Resend pay for importing httpx

    async with httpx.AsyncClient(timeout=timeout) as client:
        response = await client.post(
            RESEND_URL,
            headers={
                "Authorization": f"Bearer {target.api_key}",
                "Idempotency-Key": message.dedup_key,
            },
            json={
                "from": sender,
                "to": [message.recipient],
                "subject": message.subject,
                "text": message.text,
                "html": message.html,
                "headers": {"Message-ID": message.message_id, DEDUP_HEADER: message.dedup_key},
            },
        )
    if response.is_success:
        return
    detail = _resend_error(response)
    # 408 (timeout), 409 (the same key still in flight), 429 (rate limit) and 5xx may pass later.
    if 400 <= response.status_code < 500 and response.status_code not in (408, 409, 429):
        raise PermanentFailure(f"Resend {response.status_code}: {detail}")
    raise RuntimeError(f"Resend {response.status_code}: {detail}")


def _resend_error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return "no JSON body"
    if isinstance(body, dict):
        return str(body.get("name") or body.get("message") or "error")[:200]
    return "error"


def local_path(message_id: str, folder: Path) -> Path:
    """Where the local backend writes a message: `<folder>/<message id without <>>.eml`."""
    return folder / f"{message_id.strip('<>')}.eml"


def _write_local(message: Outgoing, target: EmailTarget, sender: str) -> None:
    folder = Path(target.path or ".data/mail")
    folder.mkdir(parents=True, exist_ok=True)
    path = local_path(message.message_id, folder)
    partial = path.with_suffix(".eml.partial")
    partial.write_bytes(mime_message(message, sender).as_bytes())
    partial.replace(path)  # a reader never sees half a message
