"""scripts/deploy.sh: refuses to start without its settings, runs its steps in order, leaks no secret."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from devkit.processes import ROOT

SCRIPT = ROOT / "scripts" / "deploy.sh"
TOKEN = "vercel-token-value-7f3a9c"
DB_PASSWORD = "db-password-4d8e21"
DIRECT_URL = (
    f"postgresql://alex:{DB_PASSWORD}@ep-cool-darkness-123456.us-east-2.aws.neon.tech/neondb?sslmode=require"
)
POOLED_URL = DIRECT_URL.replace("123456.", "123456-pooler.")
ORG_ID = "team_org-id-value-55aa"
PROJECT_ID = "prj_project-id-value-66bb"
SECRETS = (TOKEN, DB_PASSWORD, ORG_ID, PROJECT_ID)
DEPLOYMENT_URL = "https://launchpad-abc123.vercel.app"

# Stand-ins for the Vercel CLI and the Python that runs scripts/migrate.py: they record each call
# (arguments and the URL migrate.py would use) in $CALL_LOG, so a test sees what ran and in what order.
FAKE_VERCEL = f"""#!/usr/bin/env bash
echo "vercel $*" >>"$CALL_LOG"
if [[ "$1" == build ]]; then exit "${{FAKE_BUILD_EXIT:-0}}"; fi
if [[ "$1" == deploy ]]; then echo {DEPLOYMENT_URL}; fi
"""
FAKE_PYTHON = """#!/usr/bin/env bash
echo "python $* DATABASE_URL_UNPOOLED=${DATABASE_URL_UNPOOLED:-}" >>"$CALL_LOG"
exit "${FAKE_MIGRATE_EXIT:-0}"
"""

LINKED = (ROOT / ".vercel" / "project.json").exists()


@pytest.fixture
def fake_tools(tmp_path: Path) -> dict[str, Path]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in (("vercel", FAKE_VERCEL), ("python", FAKE_PYTHON)):
        path = bin_dir / name
        path.write_text(body)
        path.chmod(0o755)
    return {"bin": bin_dir, "python": bin_dir / "python", "log": tmp_path / "calls.log", "home": tmp_path}


def deploy(fake_tools: dict[str, Path], *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """Run the hook with only the given variables set (nothing inherited from this process's CI)."""
    env = {
        "PATH": f"{fake_tools['bin']}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(fake_tools["home"]),
        "CALL_LOG": str(fake_tools["log"]),
        "PYTHON": str(fake_tools["python"]),
        "VERCEL_CLI": str(fake_tools["bin"] / "vercel"),
        **variables,
    }
    return subprocess.run(
        [str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=30, cwd=fake_tools["home"]
    )


def calls(fake_tools: dict[str, Path]) -> list[str]:
    log = fake_tools["log"]
    return log.read_text().splitlines() if log.exists() else []


def full_settings(**overrides: str) -> dict[str, str]:
    settings = {
        "DATABASE_URL_UNPOOLED": DIRECT_URL,
        "VERCEL_TOKEN": TOKEN,
        "VERCEL_ORG_ID": ORG_ID,
        "VERCEL_PROJECT_ID": PROJECT_ID,
    }
    settings.update(overrides)
    return {k: v for k, v in settings.items() if v}


def assert_no_secrets(run: subprocess.CompletedProcess[str]) -> None:
    output = run.stdout + run.stderr
    for secret in SECRETS:
        assert secret not in output, f"{secret!r} leaked into the output:\n{output}"


def test_script_is_executable_bash_with_strict_mode() -> None:
    assert os.access(SCRIPT, os.X_OK)
    text = SCRIPT.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text


@pytest.mark.parametrize(
    ("removed", "named"),
    [
        (("DATABASE_URL_UNPOOLED",), "DATABASE_URL_UNPOOLED"),
        (("VERCEL_TOKEN",), "VERCEL_TOKEN"),
        pytest.param(
            ("VERCEL_ORG_ID",),
            "VERCEL_ORG_ID",
            marks=pytest.mark.skipif(LINKED, reason="checkout is linked: .vercel/project.json supplies it"),
        ),
        pytest.param(
            ("VERCEL_PROJECT_ID",),
            "VERCEL_PROJECT_ID",
            marks=pytest.mark.skipif(LINKED, reason="checkout is linked: .vercel/project.json supplies it"),
        ),
    ],
)
@pytest.mark.parametrize("mode", [(), ("--dry-run",)], ids=["run", "dry-run"])
def test_missing_variable_is_named_and_nothing_runs(fake_tools, removed, named, mode) -> None:
    run = deploy(fake_tools, *mode, GITHUB_REF_NAME="main", **full_settings(**dict.fromkeys(removed, "")))
    assert run.returncode != 0
    assert named in run.stderr
    assert_no_secrets(run)
    assert calls(fake_tools) == []


def test_database_url_alone_is_accepted_as_the_migration_url(fake_tools) -> None:
    run = deploy(
        fake_tools, GITHUB_REF_NAME="main", **full_settings(DATABASE_URL_UNPOOLED="", DATABASE_URL=DIRECT_URL)
    )
    assert run.returncode == 0, run.stderr
    migrate = [c for c in calls(fake_tools) if c.startswith("python ")]
    assert migrate == [f"python scripts/migrate.py DATABASE_URL_UNPOOLED={DIRECT_URL}"]
    assert_no_secrets(run)


@pytest.mark.parametrize("variable", ["DATABASE_URL_UNPOOLED", "DATABASE_URL"])
def test_pooler_url_is_refused_for_migrations(fake_tools, variable) -> None:
    settings = full_settings(**{"DATABASE_URL_UNPOOLED": "", variable: POOLED_URL})
    run = deploy(fake_tools, "--dry-run", GITHUB_REF_NAME="main", **settings)
    assert run.returncode != 0
    assert variable in run.stderr and "-pooler" in run.stderr
    assert_no_secrets(run)
    assert calls(fake_tools) == []


def plan(run: subprocess.CompletedProcess[str]) -> list[str]:
    return [line.removeprefix("+ ") for line in run.stdout.splitlines() if line.startswith("+ ")]


def step_index(lines: list[str], marker: str) -> int:
    matches = [i for i, line in enumerate(lines) if marker in line]
    assert len(matches) == 1, (marker, lines)
    return matches[0]


@pytest.mark.parametrize(
    ("branch", "args", "environment"),
    [
        ("main", (), "production"),
        ("feature/new-reports", (), "preview"),
        ("42/merge", (), "preview"),
        ("feature/new-reports", ("--prod",), "production"),
        ("main", ("--branch", "hotfix"), "preview"),
        ("", ("--branch", "main"), "production"),
    ],
)
def test_dry_run_prints_the_plan_in_order_and_runs_nothing(fake_tools, branch, args, environment) -> None:
    run = deploy(fake_tools, "--dry-run", *args, **full_settings(GITHUB_REF_NAME=branch))
    assert run.returncode == 0, run.stderr
    assert calls(fake_tools) == []
    assert_no_secrets(run)

    lines = plan(run)
    pull = step_index(lines, "vercel pull")
    build = step_index(lines, "vercel build")
    migrate = step_index(lines, "scripts/migrate.py")
    deploy_step = step_index(lines, "vercel deploy")
    assert pull < build < migrate < deploy_step
    assert f"--environment={environment}" in lines[pull].split()
    assert "--prebuilt" in lines[deploy_step].split()
    assert "DATABASE_URL_UNPOOLED=***" in lines[migrate]
    for line in (pull, build, deploy_step):
        assert "--token=***" in lines[line].split()
    prod_lines = [line for line in lines if "--prod" in line.split()]
    if environment == "production":
        assert prod_lines == [lines[build], lines[deploy_step]]
    else:
        assert prod_lines == []


def test_run_calls_every_tool_in_order_with_the_direct_url(fake_tools) -> None:
    github_output = fake_tools["home"] / "github_output"
    run = deploy(fake_tools, GITHUB_REF_NAME="main", GITHUB_OUTPUT=str(github_output), **full_settings())
    assert run.returncode == 0, run.stderr
    assert calls(fake_tools) == [
        f"vercel pull --yes --environment=production --token={TOKEN}",
        f"vercel build --prod --token={TOKEN}",
        f"python scripts/migrate.py DATABASE_URL_UNPOOLED={DIRECT_URL}",
        f"vercel deploy --prebuilt --prod --token={TOKEN}",
    ]
    assert f"deployed: {DEPLOYMENT_URL}" in run.stdout
    assert github_output.read_text() == f"url={DEPLOYMENT_URL}\n"
    assert_no_secrets(run)


def test_failed_build_leaves_the_database_untouched(fake_tools) -> None:
    run = deploy(fake_tools, GITHUB_REF_NAME="main", FAKE_BUILD_EXIT="3", **full_settings())
    assert run.returncode == 3
    assert [c.split()[:2] for c in calls(fake_tools)] == [["vercel", "pull"], ["vercel", "build"]]
    assert_no_secrets(run)


def test_failed_migration_stops_before_deploy(fake_tools) -> None:
    run = deploy(fake_tools, GITHUB_REF_NAME="feature/x", FAKE_MIGRATE_EXIT="1", **full_settings())
    assert run.returncode != 0
    assert [c.split()[:2] for c in calls(fake_tools)] == [
        ["vercel", "pull"],
        ["vercel", "build"],
        ["python", "scripts/migrate.py"],
    ]
    assert_no_secrets(run)


def test_dry_run_prefers_the_cli_pinned_in_package_json(fake_tools) -> None:
    run = deploy(fake_tools, "--dry-run", VERCEL_CLI="", **full_settings(GITHUB_REF_NAME="main"))
    assert run.returncode == 0, run.stderr
    pinned = (ROOT / "node_modules" / ".bin" / "vercel").exists()
    expected = "node_modules/.bin/vercel" if pinned else "vercel"
    assert {line.split()[0] for line in plan(run) if "scripts/migrate.py" not in line} == {expected}
    assert calls(fake_tools) == []


def test_unknown_argument_is_a_usage_error(fake_tools) -> None:
    run = deploy(fake_tools, "--production", **full_settings())
    assert run.returncode == 2
    assert "--production" in run.stderr
    assert calls(fake_tools) == []
