"""`vercel dev` from the pinned CLI, offline: the REST API stubbed, uv and Python 3.12 from the venv.

Used by `make vercel-dev` (in the work tree) and by the test that drives it (in a throwaway copy).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from devkit.processes import ROOT, free_port
from devkit.vercel_api import PROJECT_ID, USER_ID, VercelApiStub

VERCEL = ROOT / "node_modules" / ".bin" / "vercel"  # by path: npx must never fetch another version
# The CLI refuses a --token with '-' in it; the stub accepts any.
OFFLINE_TOKEN = "offlinetoken"
# The settings the functions get as the project's development environment (`make vercel-dev`, the test).
FUNCTION_SETTINGS = (
    "DATABASE_URL",
    "DATABASE_URL_UNPOOLED",
    "DB_POOLER",
    "SECRET_KEY",
    "CRON_SECRET",
    "FRONTEND_URL",
    "EMAIL_URL",
    "STORAGE_URL",
    "STORAGE_ACCESS_KEY_ID",
    "STORAGE_SECRET_ACCESS_KEY",
    "FILE_MAX_MB",
    "LOG_FORMAT",
    # Without it the functions refuse the development key and mail defaults, as on any deployment.
    "LAUNCHPAD_LOCAL",
)


def function_env(env: dict[str, str]) -> dict[str, str]:
    """The FUNCTION_SETTINGS that `env` sets."""
    return {name: env[name] for name in FUNCTION_SETTINGS if env.get(name)}


def copy_work_tree(destination: Path) -> Path:
    """The files git would commit (tracked and untracked-but-not-ignored) copied to `destination`."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (item.decode() for item in listed)):
        if (ROOT / name).is_file():  # tracked files deleted in the work tree stay deleted
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, destination / name)
    return destination


def tool_env() -> dict[str, str]:
    """The CLI's environment: no telemetry or update check, uv and Python 3.12 first on PATH.

    The Python builder looks for `uv` on PATH (else it tries `pip install --user uv`, which fails on a
    system Python), and the CLI puts node's own directory first when it builds: the venv's bin
    directory (uv is pinned in requirements-dev.txt) must be on PATH too.
    """
    env = dict(os.environ, VERCEL_TELEMETRY_DISABLED="1", NO_UPDATE_NOTIFIER="1")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def cli_env() -> dict[str, str]:
    """`tool_env()` linked to the stub's project (no `.vercel/project.json` needed)."""
    return dict(tool_env(), VERCEL_ORG_ID=USER_ID, VERCEL_PROJECT_ID=PROJECT_ID)


class VercelDev:
    """`vercel dev` serving `project` on a loopback port, with the stub handing it `function_env`."""

    def __init__(self, project: Path, function_env: dict[str, str], port: int | None = None) -> None:
        self.project = project
        self.port = port or free_port()
        self.stub = VercelApiStub(function_env)
        self.log_path = project / ".data" / "vercel-dev.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("w")
        command = [str(VERCEL), "dev", "--listen", f"127.0.0.1:{self.port}", "--yes"]
        command += ["--api", self.stub.url, "--token", OFFLINE_TOKEN]
        self.process = subprocess.Popen(
            command,
            cwd=project,
            env=cli_env(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_listening(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"vercel dev exited ({self.process.returncode}):\n{self.log()}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.2)
        raise TimeoutError(f"vercel dev did not listen within {timeout:.0f} s:\n{self.log()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the CLI and the function processes it started
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()
        self.stub.stop()
