"""The log-hygiene plugin is wired, records what structlog emits, and fails a run that leaked a secret.

The collecting and the verdict are the tests.log_hygiene plugin's (see its docstring): at the end of
every session it fails the run when any log line carried a password, token or key.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from devkit.processes import PYTHON, subprocess_env
from tests import log_hygiene
from tests.support import DEFAULT_PASSWORD

LEAKY_TEST = """
from tests.support import DEFAULT_PASSWORD


def test_prints_a_password():
    print("logging in with", DEFAULT_PASSWORD)
"""


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
    assert log_hygiene.SCANNED["structlog"] > 0, "no structlog line was recorded: is the plugin wired?"
    assert "[REDACTED]" in lines[0]
    assert len(log_hygiene.LEAKS) == leaks_before, log_hygiene.LEAKS[leaks_before:]


def test_a_leak_fails_the_run_although_every_test_passed(tmp_path: Path) -> None:
    """A pytest run with the plugin whose only test prints a password: that test passes, the run fails."""
    (tmp_path / "test_leaky.py").write_text(LEAKY_TEST)
    run = subprocess.run(
        [PYTHON, "-m", "pytest", "-p", "tests.log_hygiene", "-p", "no:cacheprovider", "-q", "test_leaky.py"],
        cwd=tmp_path,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = run.stdout + run.stderr
    assert "1 passed" in output, output
    assert run.returncode == pytest.ExitCode.TESTS_FAILED, output
    assert "log hygiene: 1 leaked secret(s)" in output, output
    assert "test_leaky.py::test_prints_a_password" in output and "<DEFAULT_PASSWORD>" in output, output
    assert DEFAULT_PASSWORD not in output  # the report names the secret, never shows it


def test_finding_7_rendered_statement_parameters_count_as_a_leak() -> None:
    """SQLAlchemy's `[parameters: …]` in any line is a leak, reported without the values."""
    line = "sqlalchemy.exc.DBAPIError: boom [SQL: INSERT INTO users …] [parameters: ('$argon2id$v=19$…',)]"
    [(name, context)] = list(log_hygiene.find_leaks(line))
    assert name == "SQL_PARAMETERS" and "argon2" not in context
    hidden = "[SQL: INSERT INTO users …] [SQL parameters hidden due to hide_parameters=True]"
    assert not list(log_hygiene.find_leaks(hidden))
