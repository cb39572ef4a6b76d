"""Projects: a user sees only their own; an admin reads, updates, deletes and lists any."""

from __future__ import annotations

import httpx
import pytest

from tests.functions.projects_support import create, listed, row
from tests.support import Account, activity_rows, assert_error

# --- ownership ------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_another_users_project_looks_like_a_missing_one(
    client: httpx.AsyncClient, alice: Account, bob: Account, method: str
) -> None:
    created = await create(client, alice)
    before = await row(created["id"])
    missing_id = created["id"] + 1000
    body = {"json": {"title": "Hijacked"}} if method == "PATCH" else {}

    theirs = await client.request(method, f"/api/projects/{created['id']}", headers=bob.headers, **body)
    missing = await client.request(method, f"/api/projects/{missing_id}", headers=bob.headers, **body)
    theirs_error = assert_error(theirs, 404, "not_found")
    missing_error = assert_error(missing, 404, "not_found")
    assert theirs_error["message"] == f"Project {created['id']} not found"
    assert missing_error["message"] == theirs_error["message"].replace(str(created["id"]), str(missing_id))
    assert "Alice" not in theirs.text and "irrigation" not in theirs.text

    after = await row(created["id"])
    assert after is not None and before is not None
    assert (after.title, after.deleted_at, after.updated_at) == (before.title, None, before.updated_at)


async def test_lists_show_only_the_callers_projects(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    mine = await create(client, alice)
    theirs = await create(client, bob)
    assert await listed(client, alice) == [mine["id"]]
    assert await listed(client, bob) == [theirs["id"]]
    # A non-admin's user_id filter cannot widen the view to someone else's rows.
    assert await listed(client, alice, user_id=bob.id) == []


async def test_admin_can_read_and_update_any_project(
    client: httpx.AsyncClient, alice: Account, admin: Account
) -> None:
    created = await create(client, alice)
    url = f"/api/projects/{created['id']}"
    got = await client.get(url, headers=admin.headers)
    assert got.status_code == 200 and got.json() == created

    patched = await client.patch(url, json={"status": "submitted"}, headers=admin.headers)
    assert patched.status_code == 200, patched.text
    assert patched.json()["status"] == "submitted" and patched.json()["user_id"] == alice.id
    stored = await row(created["id"])
    assert stored is not None and stored.status == "submitted" and stored.user_id == alice.id
    [log] = await activity_rows(action="update_project")
    assert log.user_id == admin.id and log.entity_id == str(created["id"])


async def test_admin_can_soft_delete_any_project(
    client: httpx.AsyncClient, alice: Account, admin: Account
) -> None:
    created = await create(client, alice)
    assert (await client.delete(f"/api/projects/{created['id']}", headers=admin.headers)).status_code == 204
    stored = await row(created["id"])
    assert stored is not None and stored.deleted_at is not None
    assert_error(await client.get(f"/api/projects/{created['id']}", headers=alice.headers), 404, "not_found")


async def test_admin_sees_every_project_and_may_filter_by_user(
    client: httpx.AsyncClient, alice: Account, bob: Account, admin: Account
) -> None:
    a1 = await create(client, alice)
    b1 = await create(client, bob)
    a2 = await create(client, alice)
    assert await listed(client, admin) == [a2["id"], b1["id"], a1["id"]]
    assert await listed(client, admin, user_id=alice.id) == [a2["id"], a1["id"]]
    assert await listed(client, admin, user_id=bob.id) == [b1["id"]]
    assert await listed(client, admin, user_id=admin.id) == []
