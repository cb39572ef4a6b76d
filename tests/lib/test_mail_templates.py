"""Mail templates: both parts rendered, HTML values escaped, text values as given, links to the frontend."""

from __future__ import annotations

import dataclasses

import pytest

from lib.core import config
from lib.core.config import ConfigError
from lib.mail.links import frontend_link
from lib.mail.render import FOLDER, NAMES, load, render

HOSTILE = "<script>alert('x')</script> & \"quoted\""


def context_for(name: str, value: str = "value") -> dict[str, str]:
    return {field: value for field in load(name).fields}


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Call it with setting changes: they hold for the rest of the test."""

    def use(**changes: object) -> None:
        swapped = dataclasses.replace(config.get_settings(), **changes)  # type: ignore[arg-type]
        monkeypatch.setattr(config, "get_settings", lambda: swapped)

    return use


def test_every_template_is_a_pair_of_data_files_with_a_subject() -> None:
    files = sorted(path.name for path in FOLDER.iterdir())
    assert files == sorted(f"{name}.{kind}" for name in NAMES for kind in ("html", "txt"))
    for name in NAMES:
        template = load(name)
        rendered = render(name, context_for(name))
        assert rendered.subject and "\n" not in rendered.subject
        assert rendered.text.strip() and "${" not in rendered.text
        assert rendered.html.lstrip().startswith("<!doctype html>") and "${" not in rendered.html
        assert template.fields, name


def test_the_fields_each_template_takes() -> None:
    # What the account features pass: a change here is a change of the interface.
    assert {name: sorted(load(name).fields) for name in NAMES} == {
        "verify_email": ["expires_hours", "link", "name"],
        "password_reset": ["expires_minutes", "link", "name"],
        "password_changed": ["link", "name"],
        "account_deleted": ["name"],
        "notification": ["body", "link", "title"],
    }


def test_html_values_are_escaped_text_values_are_not() -> None:
    rendered = render("notification", {"title": "Hi", "body": HOSTILE, "link": "https://app.test/x?a=1&b=2"})
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quoted&quot;" in rendered.html
    assert 'href="https://app.test/x?a=1&amp;b=2"' in rendered.html  # an attribute, escaped too
    assert HOSTILE in rendered.text
    assert "https://app.test/x?a=1&b=2" in rendered.text


def test_the_subject_is_one_line_whatever_a_value_holds() -> None:
    rendered = render("notification", {"title": "Hello\r\nBcc: victim@example.com", "body": "b", "link": "l"})
    assert rendered.subject == "Hello Bcc: victim@example.com"
    assert "\n" not in rendered.subject and "\r" not in rendered.subject


def test_a_missing_or_unknown_value_or_template_is_refused() -> None:
    with pytest.raises(ValueError, match="missing \\['link'\\]"):
        render("password_changed", {"name": "A"})
    with pytest.raises(ValueError, match="unexpected \\['token'\\]"):
        render("password_changed", {"name": "A", "link": "l", "token": "t"})
    with pytest.raises(ValueError, match="unknown mail template"):
        render("../users", {})


def test_a_value_that_looks_like_a_placeholder_stays_literal() -> None:
    rendered = render("account_deleted", {"name": "${name} $$ $other"})
    assert "Hello ${name} $$ $other," in rendered.text


def test_links_use_the_first_origin_of_frontend_url(settings) -> None:  # type: ignore[no-untyped-def]
    settings(frontend_url="https://app.example.com/some/path, https://admin.example.com")
    assert (
        frontend_link("/verify-email", token="a b&c") == "https://app.example.com/verify-email?token=a+b%26c"
    )
    assert frontend_link("/settings") == "https://app.example.com/settings"
    with pytest.raises(ValueError):
        frontend_link("//evil.example.com/")


def test_links_without_frontend_url(settings) -> None:  # type: ignore[no-untyped-def]
    settings(frontend_url=None, vercel_env="development")
    assert frontend_link("/x") == "http://localhost:3000/x"
    settings(frontend_url=None, vercel_env="production")
    with pytest.raises(ConfigError, match="FRONTEND_URL"):
        frontend_link("/x")
