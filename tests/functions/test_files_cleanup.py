"""Files that go without a DELETE: the daily sweep, account deletion, a storage outage that loses nothing."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, update

from devkit.processes import free_port
from lib.core.db import session
from lib.models.files import File
from tests.functions.files_support import (
    CRON,
    declare,
    exists,
    file_row,
    key_of,
    make_synopsis_id,
    real_pdf,
    uploaded,
)
from tests.support import DEFAULT_PASSWORD, Account, assert_error

pytestmark = pytest.mark.usefixtures("storage")


async def _age(file_id: int, by: timedelta) -> None:
    async with session() as db:
        await db.execute(update(File).where(File.id == file_id).values(created_at=func.now() - by))


async def test_the_sweep_removes_a_stale_pending_uploads_object_and_row(
    client: httpx.AsyncClient, alice: Account
) -> None:
    synopsis_id = await make_synopsis_id(client, alice)
    stale = await uploaded(client, alice, synopsis_id, real_pdf())  # stored, never completed
    fresh = await uploaded(client, alice, synopsis_id, real_pdf())
    ready = await uploaded(client, alice, synopsis_id, real_pdf())
    assert (await client.post(f"/api/files/{ready['id']}/complete", headers=alice.headers)).status_code == 200
    for file_id in (stale["id"], ready["id"]):
        await _age(file_id, timedelta(days=1, minutes=5))
    stale_key, fresh_key, ready_key = [await key_of(f["id"]) for f in (stale, fresh, ready)]

    response = await client.get("/api/cron/storage", headers=CRON)
    assert response.status_code == 200, response.text
    assert response.json() | {"seconds": 0} == {
        "removed": 1,
        "remaining": 0,
        "storage_ok": True,
        "seconds": 0,
    }
    assert not await exists(stale_key)
    assert await file_row(stale["id"]) is None
    # A pending upload of today and a ready file of any age stay, object and row.
    for file_id, key in ((fresh["id"], fresh_key), (ready["id"], ready_key)):
        assert await exists(key)
        assert await file_row(file_id) is not None


async def test_the_sweep_needs_the_cron_secret(client: httpx.AsyncClient, alice: Account) -> None:
    assert_error(await client.get("/api/cron/storage", headers=alice.headers), 401, "unauthorized")


async def test_deleting_an_account_removes_its_files_objects_and_rows(
    client: httpx.AsyncClient, alice: Account, bob: Account, admin: Account
) -> None:
    synopsis_id = await make_synopsis_id(client, alice)
    done = await uploaded(client, alice, synopsis_id, real_pdf())
    assert (await client.post(f"/api/files/{done['id']}/complete", headers=alice.headers)).status_code == 200
    waiting = await uploaded(client, alice, synopsis_id, real_pdf())
    keys = [await key_of(done["id"]), await key_of(waiting["id"])]
    bobs = await uploaded(client, bob, await make_synopsis_id(client, bob), real_pdf())

    deleted = await client.request(
        "DELETE", "/api/auth/me", json={"password": DEFAULT_PASSWORD}, headers=alice.headers
    )
    assert deleted.status_code == 204, deleted.text
    # Gone from every view at once, even an admin's.
    listed = (await client.get("/api/files", headers=admin.headers)).json()["items"]
    assert [f["id"] for f in listed] == [bobs["id"]]
    assert_error(await client.get(f"/api/files/{done['id']}", headers=admin.headers), 404, "not_found")

    sweep = (await client.get("/api/cron/storage", headers=CRON)).json()
    assert (sweep["removed"], sweep["remaining"]) == (2, 0)
    for file_id, key in zip((done["id"], waiting["id"]), keys, strict=True):
        assert not await exists(key)
        assert await file_row(file_id) is None
    assert await exists(await key_of(bobs["id"]))


@pytest.fixture
def storage_down(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Call it to point the functions at a port nothing listens on (settings swapped on lib.core.config)."""
    from lib.core import config

    def cut() -> None:
        url = f"s3://launchpad?endpoint=http://127.0.0.1:{free_port()}&region=us-east-1"
        settings = dataclasses.replace(config.get_settings(), storage_url=url)
        monkeypatch.setattr(config, "get_settings", lambda: settings)

    return cut


async def test_with_storage_down_each_call_is_a_503_and_nothing_is_half_done(
    client: httpx.AsyncClient,
    alice: Account,
    storage_down,  # type: ignore[no-untyped-def]
) -> None:
    synopsis_id = await make_synopsis_id(client, alice)
    file = await uploaded(client, alice, synopsis_id, real_pdf())
    other = await uploaded(client, alice, synopsis_id, real_pdf())
    await _age(other["id"], timedelta(days=2))
    storage_down()

    for response in (
        await client.post(f"/api/files/{file['id']}/complete", headers=alice.headers),
        await client.delete(f"/api/files/{file['id']}", headers=alice.headers),
    ):
        error = assert_error(response, 503, "service_unavailable")
        assert "storage" in error["message"]
        assert response.headers["retry-after"]
    row = await file_row(file["id"])
    assert row is not None and row.status == "pending"
    sweep = (await client.get("/api/cron/storage", headers=CRON)).json()
    assert (sweep["removed"], sweep["remaining"], sweep["storage_ok"]) == (0, 1, False)
    assert await file_row(other["id"]) is not None
    # Declaring an upload only signs a URL: it works without storage.
    assert (await declare(client, alice, synopsis_id, real_pdf()))["upload"]["url"]


async def test_storage_back_the_sweep_finishes_what_it_could_not(
    client: httpx.AsyncClient,
    alice: Account,
    storage_down,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    synopsis_id = await make_synopsis_id(client, alice)
    file = await uploaded(client, alice, synopsis_id, real_pdf())
    key = await key_of(file["id"])
    await _age(file["id"], timedelta(days=2))
    storage_down()
    assert (await client.get("/api/cron/storage", headers=CRON)).json()["storage_ok"] is False
    monkeypatch.undo()
    assert await exists(key)
    assert (await client.get("/api/cron/storage", headers=CRON)).json()["removed"] == 1
    assert not await exists(key)
    assert await file_row(file["id"]) is None
