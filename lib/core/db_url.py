"""Database URLs: every form Neon and the Vercel-Neon integration hand out, as an asyncpg target."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.engine import make_url

SSL_MODES = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}
# URL query parameters that libpq understands but asyncpg (through SQLAlchemy) rejects.
_DROPPED_PARAMS = {"channel_binding", "sslrootcert", "sslcert", "sslkey", "sslcrl", "gssencmode"}


# How a transaction-mode pooler in front of the database handles prepared statements:
# `prepared`: PgBouncer >= 1.21 with `max_prepared_statements` (Neon's pooler) tracks protocol-level
# prepared statements, so asyncpg's statement cache works as on a direct connection;
# `legacy`: an older pooler that does not, so no statement outlives its transaction.
PoolerMode = Literal["prepared", "legacy"]


@dataclass(frozen=True)
class DatabaseTarget:
    """A URL that SQLAlchemy's asyncpg dialect accepts, plus the asyncpg connect arguments."""

    url: str
    connect_args: dict[str, Any] = field(default_factory=dict)
    pooler: PoolerMode | None = None
    dropped: tuple[str, ...] = ()

    @property
    def behind_pooler(self) -> bool:
        return self.pooler is not None

    @property
    def forces_transactions(self) -> bool:
        """Whether every unit of work must be a transaction (prepare and execute on one server)."""
        return self.pooler == "legacy"


def pooler_mode(setting: str, host: str) -> PoolerMode | None:
    """The pooler a `DB_POOLER` setting means for `host` (`auto`: Neon's `-pooler` hosts run `prepared`)."""
    if setting == "auto":
        return "prepared" if "-pooler" in host else None
    if setting in ("legacy", "on"):  # `on`: this project's name for `legacy` before `prepared` existed
        return "legacy"
    return "prepared" if setting == "prepared" else None


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
    mode = pooler_mode(pooler, host)
    if mode == "legacy":
        # This pooler hands each transaction to any server connection and does not track
        # prepared statements, so a named one may be missing or already exist there: keep none.
        connect_args["statement_cache_size"] = 0
        connect_args["prepared_statement_cache_size"] = 0
        connect_args["prepared_statement_name_func"] = _unnamed_statement
    elif mode == "prepared":
        # The pooler maps each client's statement names onto its server connections; names unique
        # across clients keep that mapping unambiguous (SQLAlchemy's advice for PgBouncer).
        connect_args["prepared_statement_name_func"] = _unique_statement_name
    if mode is not None:
        # PgBouncer rejects unknown startup parameters; only application_name passes.
        server_settings = {k: v for k, v in server_settings.items() if k == "application_name"}
    if server_settings:
        connect_args["server_settings"] = server_settings

    final = url.set(drivername="postgresql+asyncpg", query=query)
    return DatabaseTarget(
        url=final.render_as_string(hide_password=False),
        connect_args=connect_args,
        pooler=mode,
        dropped=tuple(dropped),
    )


def _unnamed_statement() -> str:
    # The unnamed statement lives until the next Parse on the same server connection: nothing to
    # close afterwards (a named one costs a Close round trip per statement) and nothing to leak
    # to another client of the pooler. Prepare and execute share a transaction, so one server.
    return ""


def _unique_statement_name() -> str:
    return f"__lp_{uuid.uuid4().hex}__"
