"""The mail templates (data files in `templates/`), rendered into a subject, a text and an HTML part.

Each template is `<name>.txt` (a `Subject: ...` line, a blank line, the text body) and `<name>.html`,
both `string.Template` (`${name}`). HTML values are escaped with `html.escape`; text values go in as
they are; the subject is one line whatever a value holds. Every placeholder must be given: a missing
value is a bug in the caller, raised at enqueue, never a message with a hole in it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template

FOLDER = Path(__file__).with_name("templates")
NAMES = ("verify_email", "password_reset", "password_changed", "account_deleted", "notification")
SUBJECT_MAX = 300  # the outbox column


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class MailTemplate:
    name: str
    subject: Template
    text: Template
    html: Template

    @property
    def fields(self) -> frozenset[str]:
        """The placeholders the template uses: what a context must give."""
        return frozenset(
            self.subject.get_identifiers() + self.text.get_identifiers() + self.html.get_identifiers()
        )


@cache
def load(name: str) -> MailTemplate:
    """The template `name`, read once per process."""
    if name not in NAMES:
        raise ValueError(f"unknown mail template {name!r} (one of {', '.join(NAMES)})")
    head, blank, body = (FOLDER / f"{name}.txt").read_text(encoding="utf-8").partition("\n\n")
    if not head.startswith("Subject:") or "\n" in head or not blank:
        raise ValueError(f"{name}.txt must start with one 'Subject: ...' line and a blank line")
    return MailTemplate(
        name=name,
        subject=Template(head.removeprefix("Subject:").strip()),
        text=Template(body),
        html=Template((FOLDER / f"{name}.html").read_text(encoding="utf-8")),
    )


def _one_line(value: str) -> str:
    return " ".join(value.split())


def render(name: str, context: dict[str, str]) -> Rendered:
    """Subject, text and HTML of template `name` with `context` (every placeholder, extra keys refused)."""
    template = load(name)
    missing = template.fields - context.keys()
    extra = context.keys() - template.fields
    if missing or extra:
        raise ValueError(
            f"mail template {name!r} takes {sorted(template.fields)}; "
            f"missing {sorted(missing)}, unexpected {sorted(extra)}"
        )
    values = {key: str(value) for key, value in context.items()}
    return Rendered(
        subject=_one_line(template.subject.substitute({k: _one_line(v) for k, v in values.items()}))[
            :SUBJECT_MAX
        ],
        text=template.text.substitute(values),
        html=template.html.substitute({key: html.escape(value, quote=True) for key, value in values.items()}),
    )
