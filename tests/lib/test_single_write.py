"""The single-write guard: a route marked transaction=False may send exactly one writing statement."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from lib.core.db import session
from lib.models.projects import Project
from lib.web.app import create_app
from lib.web.endpoints import Call, post


async def one_write(call: Call[None, None]) -> dict[str, int]:
    project = await call.insert(Project(user_id=call.me.id, title="one", category="web"))
    return {"id": project.id}


async def two_writes(call: Call[None, None]) -> dict[str, int]:
    first = await call.insert(Project(user_id=call.me.id, title="first", category="web"))
    await call.insert(Project(user_id=call.me.id, title="second", category="web"))
    return {"id": first.id}


@pytest.fixture
async def guarded(database_url: str, client):  # type: ignore[no-untyped-def]
    app = create_app(
        [
            post("/api/test/one", one_write, transaction=False, entity="project"),
            post("/api/test/two", two_writes, transaction=False, entity="project"),
            post("/api/test/two-in-a-transaction", two_writes, entity="project"),
        ]
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        yield http


async def _titles() -> list[str]:
    async with session() as db:
        return list(await db.scalars(select(Project.title).order_by(Project.id)))


async def test_one_write_without_a_transaction_passes(guarded: httpx.AsyncClient, alice) -> None:
    response = await guarded.post("/api/test/one", headers=alice.headers)
    assert response.status_code == 201, response.text
    assert await _titles() == ["one"]


async def test_a_second_write_without_a_transaction_fails_the_request(
    guarded: httpx.AsyncClient, alice
) -> None:
    response = await guarded.post("/api/test/two", headers=alice.headers)
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    # The second statement never ran. Direct, the first (no transaction) stays; behind a
    # transaction-mode pooler every unit of work is a transaction, so it rolled back too.
    assert await _titles() in (["first"], [])


async def test_two_writes_in_a_transaction_pass(guarded: httpx.AsyncClient, alice) -> None:
    response = await guarded.post("/api/test/two-in-a-transaction", headers=alice.headers)
    assert response.status_code == 201, response.text
    assert await _titles() == ["first", "second"]


async def test_the_allowance_does_not_outlive_the_request(guarded: httpx.AsyncClient, alice) -> None:
    # The pooled connection that served the guarded request serves the next unit of work freely.
    assert (await guarded.post("/api/test/one", headers=alice.headers)).status_code == 201
    async with session() as db:
        db.add(Project(user_id=alice.id, title="a", category="web"))
        db.add(Project(user_id=alice.id, title="b", category="web"))
        await db.flush()
        assert await db.scalar(select(func.count()).select_from(Project)) == 3
