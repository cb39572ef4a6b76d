"""Database URLs: every form Neon and the Vercel-Neon integration hand out, as an asyncpg target."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import make_url

SSL_MODES = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}
# URL query parameters that libpq understands but asyncpg (through SQLAlchemy) rejects.
_DROPPED_PARAMS = {"channel_binding", "sslrootcert", "sslcert", "sslkey", "sslcrl", "gssencmode"}


@dataclass(frozen=True)
class DatabaseTarget:
    """A URL that SQLAlchemy's asyncpg dialect accepts, plus the asyncpg connect arguments."""

    url: str
    connect_args: dict[str, Any] = field(default_factory=dict)
    behind_pooler: bool = False
    dropped: tuple[str, ...] = ()


def _parse_options(options: str) -> tuple[dict[str, str], list[str]]:
    """Split libpq `options` (`-c name=value ...`, Neon's `endpoint=...`) into server settings."""
    settings: dict[str, str] = {}
    dropped: list[str] = []
    tokens = options.replace("-c ", "-c").split()
    for token in tokens:
        body = token[2:] if token.startswith("-c") else token
        name, _, value = body.partition("=")
        if name == "endpoint" or not value:
            # asyncpg sends SNI, so Neon finds the endpoint without this option.
            dropped.append(f"options:{name}")
        else:
            settings[name] = value
    return settings, dropped


def database_target(raw_url: str, pooler: str = "auto", connect_timeout: float = 5.0) -> DatabaseTarget:
    """Turn any URL Neon or the Vercel-Neon integration hands out into an asyncpg target."""
    url = make_url(raw_url.strip())
    if not url.drivername.startswith(("postgres", "postgresql")):
        raise ValueError(f"not a PostgreSQL URL (scheme {url.drivername!r})")
    query = dict(url.query)
    connect_args: dict[str, Any] = {"timeout": connect_timeout}
    server_settings: dict[str, str] = {}
    dropped: list[str] = []

    for name in ("sslmode", "ssl"):
        mode = query.pop(name, None)
        if isinstance(mode, str):
            mode = mode.lower()
            mode = {"true": "require", "1": "require", "false": "disable", "0": "disable"}.get(mode, mode)
            if mode not in SSL_MODES:
                raise ValueError(f"unknown sslmode {mode!r}")
            connect_args["ssl"] = mode
    if isinstance(timeout := query.pop("connect_timeout", None), str):
        connect_args["timeout"] = float(timeout)
    if isinstance(options := query.pop("options", None), str):
        parsed, dropped_options = _parse_options(options)
        server_settings.update(parsed)
        dropped.extend(dropped_options)
    if isinstance(app_name := query.pop("application_name", None), str):
        server_settings["application_name"] = app_name
    for name in list(query):
        if name in _DROPPED_PARAMS or name not in {"host", "port"}:
            query.pop(name)
            dropped.append(name)

    host = url.host or str(query.get("host") or "")
    behind_pooler = pooler == "on" or (pooler == "auto" and "-pooler" in host)
    if behind_pooler:
        # Transaction-mode poolers hand each transaction to any server connection, so a
        # named prepared statement may be missing or already exist there: never keep one.
        connect_args["statement_cache_size"] = 0
        connect_args["prepared_statement_cache_size"] = 0
        connect_args["prepared_statement_name_func"] = _unnamed_statement
        # PgBouncer rejects unknown startup parameters; only application_name passes.
        server_settings = {k: v for k, v in server_settings.items() if k == "application_name"}
    if server_settings:
        connect_args["server_settings"] = server_settings

    final = url.set(drivername="postgresql+asyncpg", query=query)
    return DatabaseTarget(
        url=final.render_as_string(hide_password=False),
        connect_args=connect_args,
        behind_pooler=behind_pooler,
        dropped=tuple(dropped),
    )


def _unnamed_statement() -> str:
    # The unnamed statement lives until the next Parse on the same server connection: nothing to
    # close afterwards (a named one costs a Close round trip per statement) and nothing to leak
    # to another client of the pooler. Prepare and execute share a transaction, so one server.
    return ""
