"""PgBouncer >= 1.21 (protocol-level prepared statements): installed, else built from Debian trixie source."""

from __future__ import annotations

import fcntl
import functools
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from devkit.processes import ROOT

# The first PgBouncer with protocol-level prepared statements in transaction mode (Neon runs 1.22+).
MIN_VERSION = (1, 21, 0)
# Built binaries, one folder per version (.data/ is git-ignored): .data/pgbouncer/1.24.1/bin/pgbouncer.
STORE = ROOT / ".data" / "pgbouncer"
# Debian 13's source package (1.24.x). Only a deb-src entry, in apt state of its own under STORE:
# the machine's sources, lists and caches are untouched, so it keeps installing from bookworm.
SOURCES = """\
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""
# What compiling needs, by the Debian package that provides it.
BUILD_DEPS: dict[str, Callable[[], bool]] = {
    "libevent-dev": lambda: _pkg_config("libevent"),
    "libssl-dev": lambda: _pkg_config("openssl"),
    "pkg-config": lambda: shutil.which("pkg-config") is not None,
    "dpkg-dev": lambda: shutil.which("dpkg-source") is not None,  # unpacks and applies Debian's patches
    "gcc": lambda: shutil.which("cc") is not None or shutil.which("gcc") is not None,
    "make": lambda: shutil.which("make") is not None,
}
VERSION_RE = re.compile(r"PgBouncer (\d+)\.(\d+)\.(\d+)")


class PgBouncerMissing(RuntimeError):
    """No PgBouncer >= 1.21 is installed and none could be built; the message says why."""


@dataclass(frozen=True)
class Binary:
    """A usable `pgbouncer`: where, which version, how it was obtained and how long that took."""

    path: Path
    version: str
    origin: str  # "installed", "reused" (built on an earlier run) or "built" (just now)
    seconds: float

    def __str__(self) -> str:
        return f"{self.path} (PgBouncer {self.version}, {self.origin} in {self.seconds:.1f} s)"


def version_of(path: Path | str) -> tuple[int, int, int] | None:
    """The version `path --version` reports, or None when it does not run."""
    try:
        out = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = VERSION_RE.search(out)
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def _text(version: tuple[int, int, int]) -> str:
    return ".".join(map(str, version))


def installed() -> tuple[Binary | None, str]:
    """An installed pgbouncer (PATH, /usr/sbin) if it is new enough; else None and what was found."""
    found = []
    for candidate in dict.fromkeys(filter(None, [shutil.which("pgbouncer"), "/usr/sbin/pgbouncer"])):
        if not Path(candidate).exists():
            continue
        version = version_of(candidate)
        if version is not None and version >= MIN_VERSION:
            return Binary(Path(candidate), _text(version), "installed", 0.0), ""
        found.append(f"{candidate} is {_text(version) if version else 'not runnable'}")
    return None, "; ".join(found) or "none installed"


def reusable() -> Binary | None:
    """The newest pgbouncer an earlier run built under STORE, if it still runs."""
    started = time.monotonic()
    best: tuple[tuple[int, int, int], Path] | None = None
    for path in STORE.glob("*/bin/pgbouncer"):
        version = version_of(path)
        if version is not None and version >= MIN_VERSION and (best is None or version > best[0]):
            best = (version, path)
    if best is None:
        return None
    return Binary(best[1], _text(best[0]), "reused", time.monotonic() - started)


def ensure() -> Binary:
    """A pgbouncer >= 1.21: installed, built before, or built now (raises PgBouncerMissing)."""
    started = time.monotonic()
    found, installed_note = installed()
    if found is not None:
        return found
    if (built := reusable()) is not None:
        return built
    STORE.mkdir(parents=True, exist_ok=True)
    with open(STORE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another run may be building it right now
        if (built := reusable()) is not None:
            return built
        try:
            path, version = _build()
        except PgBouncerMissing as error:
            raise PgBouncerMissing(f"{error} (installed pgbouncer: {installed_note})") from None
    return Binary(path, version, "built", time.monotonic() - started)


@functools.cache
def ensure_once() -> Binary | PgBouncerMissing:
    """`ensure()` once per process: a failed build is not retried by every fixture."""
    try:
        return ensure()
    except PgBouncerMissing as missing:
        return missing


def _pkg_config(name: str) -> bool:
    try:
        return subprocess.run(["pkg-config", "--exists", name], timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _run(step: str, command: list[str], cwd: Path | None = None, log: Path | None = None) -> None:
    """Run one build step; on failure PgBouncerMissing names the step and the end of its output."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C"}
    started = time.monotonic()
    try:
        done = subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise PgBouncerMissing(f"build failed: {step}: {error}") from None
    if log is not None:
        with log.open("a") as out:
            seconds = time.monotonic() - started
            out.write(f"$ {' '.join(command)}\n{done.stdout}{done.stderr}[{step}: {seconds:.1f} s]\n")
    if done.returncode != 0:
        tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
        raise PgBouncerMissing(f"build failed: {step} (exit {done.returncode}): {tail}")


def _install_build_deps() -> None:
    missing = [package for package, present in BUILD_DEPS.items() if not present()]
    if not missing:
        return
    if shutil.which("apt-get") is None:
        raise PgBouncerMissing(f"build failed: no apt-get to install {' '.join(missing)}")
    if os.geteuid() != 0:
        raise PgBouncerMissing(f"build failed: needs `sudo apt-get install {' '.join(missing)}`")
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=300"]
    try:
        _run("apt-get install", [*install, *missing])
    except PgBouncerMissing:  # stale package lists: refresh the machine's own (bookworm) lists once
        _run("apt-get update", ["apt-get", "update", "-qq", "-o", "DPkg::Lock::Timeout=300"])
        _run("apt-get install", [*install, *missing])


def _apt_options(state: Path) -> list[str]:
    """apt-get options that read only SOURCES and keep lists and caches under `state`."""
    (state / "sources.list.d").mkdir(parents=True, exist_ok=True)
    (state / "lists" / "partial").mkdir(parents=True, exist_ok=True)
    (state / "cache" / "archives" / "partial").mkdir(parents=True, exist_ok=True)
    sources = state / "sources.list.d" / "trixie-src.sources"
    if not sources.exists() or sources.read_text() != SOURCES:
        sources.write_text(SOURCES)
    options = {
        "Dir::Etc::SourceList": "/dev/null",
        "Dir::Etc::SourceParts": str(state / "sources.list.d"),
        "Dir::State::Lists": str(state / "lists"),
        "Dir::Cache": str(state / "cache"),
    }
    if os.geteuid() == 0:  # the folders are root's: download as root rather than as _apt
        options["APT::Sandbox::User"] = "root"
    return [arg for name, value in options.items() for arg in ("-o", f"{name}={value}")]


def _fetch_source(work: Path, log: Path) -> Path:
    """`apt-get source pgbouncer` from trixie into `work`: the unpacked, patched source tree."""
    if shutil.which("apt-get") is None:
        raise PgBouncerMissing("build failed: no apt-get to fetch Debian's pgbouncer source package")
    options = _apt_options(work / "apt")
    source = work / "source"
    source.mkdir(exist_ok=True)
    update = ["apt-get", *options, "-qq", "update"]
    get = ["apt-get", *options, "-qq", "source", "pgbouncer"]
    _run("apt-get update (trixie deb-src)", update, log=log)
    _run("apt-get source pgbouncer", get, cwd=source, log=log)
    trees = sorted(path for path in source.iterdir() if path.is_dir() and path.name.startswith("pgbouncer-"))
    if not trees:
        raise PgBouncerMissing("build failed: apt-get source unpacked no pgbouncer-* folder")
    return trees[-1]


def _build() -> tuple[Path, str]:
    """Fetch, configure and compile; the binary lands in STORE/<version>/bin/pgbouncer."""
    work = STORE / "build"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    log = work / "build.log"
    started = time.monotonic()
    _install_build_deps()
    log.write_text(f"[build dependencies: {time.monotonic() - started:.1f} s]\n")
    tree = _fetch_source(work, log)
    _run("./configure", ["./configure", "--without-cares", "--without-systemd"], cwd=tree, log=log)
    _run("make", ["make", f"-j{os.cpu_count() or 2}"], cwd=tree, log=log)
    version = version_of(tree / "pgbouncer")
    if version is None or version < MIN_VERSION:
        raise PgBouncerMissing(f"build failed: the built pgbouncer reports {version}, need >= 1.21")
    target = STORE / _text(version) / "bin" / "pgbouncer"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(tree / "pgbouncer", target.with_suffix(".tmp"))
    os.replace(target.with_suffix(".tmp"), target)
    shutil.copy2(log, target.parent.parent / "build.log")
    shutil.rmtree(work, ignore_errors=True)
    return target, _text(version)
