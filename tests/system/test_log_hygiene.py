"""Runs last (file order): no log line of the whole session carried a password, token or key.

The collecting is done by the tests.log_hygiene plugin (see its docstring for what it sees).
"""

from __future__ import annotations

import pytest

from tests import log_hygiene
from tests.support import DEFAULT_PASSWORD


def test_the_plugin_is_active(request: pytest.FixtureRequest) -> None:
    assert request.config.pluginmanager.get_plugin("tests.log_hygiene") is not None, (
        'add `pytest_plugins = ["tests.log_hygiene"]` to tests/conftest.py'
    )


def test_the_recorder_sees_redacted_lines() -> None:
    """Canary: a line with secrets under secret-looking keys and in free text is recorded, redacted."""
    from lib.core.log import get_logger
    from lib.core.tokens import create_access_token

    token, _ = create_access_token(1)
    before = log_hygiene.recorded_lines()
    leaks_before = len(log_hygiene.LEAKS)
    get_logger("hygiene").warning(
        "hygiene_canary", password=DEFAULT_PASSWORD, access_token=token, note=f"Authorization: Bearer {token}"
    )
    lines = [line for _, line in log_hygiene.LINES[before:] if "hygiene_canary" in line]
    assert len(lines) == 1, "the structlog recorder did not see the line"
    assert "[REDACTED]" in lines[0]
    assert len(log_hygiene.LEAKS) == leaks_before, log_hygiene.LEAKS[leaks_before:]


def test_no_secret_in_any_log_line_of_the_session(capsys: pytest.CaptureFixture[str]) -> None:
    log_hygiene.rescan_recorded()
    leaks = list(log_hygiene.LEAKS)
    log_hygiene.mark_reported()
    counts = log_hygiene.SCANNED
    with capsys.disabled():
        print(
            f"\n[log hygiene] lines scanned: structlog {counts['structlog']}, captured {counts['captured']}, "
            f"subprocess {counts['external']}; secrets {', '.join(log_hygiene.known_secret_names())} + JWT; "
            f"leaks {len(leaks)}"
        )
    assert counts["structlog"] > 0, "no structlog line was recorded: is the plugin wired?"
    assert not leaks, f"{len(leaks)} leaked secret(s):\n" + "\n".join(str(leak) for leak in leaks[:50])
