"""URL normalisation: every form Neon and the Vercel-Neon integration hand out works with asyncpg."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from lib.core.db_url import database_target

NEON_HOST = "ep-cool-darkness-123456.us-east-2.aws.neon.tech"
NEON_POOLER = "ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech"


@pytest.mark.parametrize(
    ("raw", "host", "ssl", "pooler", "dropped"),
    [
        (f"postgres://alex:pw@{NEON_HOST}/neondb?sslmode=require", NEON_HOST, "require", False, ()),
        (
            f"postgresql://alex:pw@{NEON_POOLER}/neondb?sslmode=require&channel_binding=require",
            NEON_POOLER,
            "require",
            True,
            ("channel_binding",),
        ),
        (
            f"postgresql+asyncpg://alex:pw@{NEON_HOST}/neondb?sslmode=verify-full",
            NEON_HOST,
            "verify-full",
            False,
            (),
        ),
        (f"postgresql://alex:pw@{NEON_HOST}/neondb?sslmode=disable", NEON_HOST, "disable", False, ()),
        (
            f"postgresql://alex:pw@{NEON_HOST}/neondb?sslmode=require&options=endpoint%3Dep-cool-darkness-123456",
            NEON_HOST,
            "require",
            False,
            ("options:endpoint",),
        ),
        (f"postgresql://alex:pw@{NEON_HOST}:5432/neondb", NEON_HOST, None, False, ()),
    ],
)
def test_neon_url_forms_become_asyncpg_targets(raw, host, ssl, pooler, dropped) -> None:
    target = database_target(raw)
    assert target.url.startswith("postgresql+asyncpg://alex:pw@" + host)
    assert "sslmode" not in target.url and "channel_binding" not in target.url and "options" not in target.url
    assert target.connect_args.get("ssl") == ssl
    assert target.behind_pooler is pooler
    assert target.dropped == dropped
    # Neon's pooler tracks prepared statements: the cache stays on, with names unique across clients.
    assert target.pooler == ("prepared" if pooler else None)
    assert "statement_cache_size" not in target.connect_args
    assert not target.forces_transactions
    if pooler:
        names = {target.connect_args["prepared_statement_name_func"]() for _ in range(3)}
        assert len(names) == 3 and all(name.startswith("__lp_") for name in names)


def test_legacy_pooler_keeps_no_statement_and_forces_transactions() -> None:
    for setting in ("legacy", "on"):
        target = database_target(f"postgresql://u:p@{NEON_POOLER}/db", pooler=setting)
        assert target.pooler == "legacy" and target.forces_transactions
        assert target.connect_args["statement_cache_size"] == 0
        assert target.connect_args["prepared_statement_cache_size"] == 0
        assert target.connect_args["prepared_statement_name_func"]() == ""  # unnamed: never closed


def test_pooler_setting_overrides_detection() -> None:
    assert database_target(f"postgresql://u:p@{NEON_HOST}/db", pooler="on").behind_pooler
    assert database_target(f"postgresql://u:p@{NEON_HOST}/db", pooler="prepared").pooler == "prepared"
    assert not database_target(f"postgresql://u:p@{NEON_POOLER}/db", pooler="off").behind_pooler


def test_options_with_settings_become_server_settings_only_without_pooler() -> None:
    raw = f"postgresql://u:p@{NEON_HOST}/db?options=-c%20search_path%3Dpublic&application_name=lp"
    direct = database_target(raw)
    assert direct.connect_args["server_settings"] == {"search_path": "public", "application_name": "lp"}
    pooled = database_target(raw, pooler="on")
    assert pooled.connect_args["server_settings"] == {"application_name": "lp"}


def test_rejects_other_schemes_and_unknown_sslmode() -> None:
    with pytest.raises(ValueError):
        database_target("mysql://u:p@h/db")
    with pytest.raises(ValueError):
        database_target("postgresql://u:p@h/db?sslmode=sometimes")


def _local_forms(url: str) -> list[str]:
    """The test database's unix-socket URL, spelled the ways a user might."""
    rest = url.split("://", 1)[1]
    join = "&" if "?" in rest else "?"
    return [
        f"postgres://{rest}",
        f"postgresql://{rest}{join}sslmode=disable",
        f"postgresql+asyncpg://{rest}{join}sslmode=disable&channel_binding=disable",
        f"postgresql://{rest}{join}connect_timeout=3&application_name=launchpad-test",
    ]


async def test_local_url_forms_connect(database_url: str) -> None:
    for raw in _local_forms(database_url):
        target = database_target(raw)
        engine = create_async_engine(target.url, connect_args=target.connect_args, poolclass=NullPool)
        try:
            async with engine.connect() as conn:
                assert await conn.scalar(text("SELECT 41 + 1")) == 42
        finally:
            await engine.dispose()


def test_engine_per_event_loop(database_url: str) -> None:
    """The same function works from two event loops in turn (serverless runs a loop per call)."""
    from lib.core.db import get_engine, session

    engines = []

    async def query() -> int:
        engines.append(get_engine())
        async with session() as db:
            return await db.scalar(text("SELECT 7"))

    assert asyncio.run(query()) == 7
    assert asyncio.run(query()) == 7
    assert engines[0] is not engines[1]
