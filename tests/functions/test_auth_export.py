"""Accounts: GET /api/auth/me/export holds every row of the caller's and nothing of anyone else's."""

from __future__ import annotations

import json

import httpx

from tests.functions.account_rows import catalogue, rows_of
from tests.support import Account, assert_error

SECTIONS = {
    "exported_at",
    "user",
    "projects",
    "orders",
    "subscriptions",
    "synopses",
    "meetings",
    "admin_requests",
    "chat_messages",
    "ideas",
    "files",
    "notifications",
    "activity",
}


async def test_the_export_holds_the_callers_rows_and_nobody_elses(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    plan_id, service_id = await catalogue()
    mine = await rows_of(alice.id, plan_id, service_id, "alice")
    theirs = await rows_of(bob.id, plan_id, service_id, "bob")
    await client.patch("/api/auth/me", json={"college": "IIT Madras"}, headers=alice.headers)

    response = await client.get("/api/auth/me/export", headers=alice.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == SECTIONS
    assert body["user"]["id"] == alice.id and body["user"]["college"] == "IIT Madras"
    assert "password" not in response.text and "argon2" not in response.text

    def ids(section: str) -> set[int]:
        return {item["id"] for item in body[section]}

    assert ids("projects") == {mine["project"], mine["deleted_project"]}
    deleted = [p for p in body["projects"] if p["id"] == mine["deleted_project"]]
    assert deleted[0]["deleted_at"] is not None
    assert ids("orders") == {mine["order"]}
    assert ids("subscriptions") == {mine["subscription"]}
    assert ids("synopses") == {mine["synopsis"]}
    assert ids("meetings") == {mine["meeting"]}
    assert ids("admin_requests") == {mine["admin_request"]}
    assert ids("chat_messages") == {mine["chat"], mine["archived_chat"]}  # the archive too, oldest first
    assert body["chat_messages"][0]["id"] == mine["archived_chat"]
    assert ids("ideas") == {mine["idea"]}
    assert ids("files") == {mine["file"]}
    assert ids("notifications") == {mine["notification"]}
    # The last 90 days of activity: the seeded row and the profile change, not the 100-day-old login.
    activity = {item["id"]: item["action"] for item in body["activity"]}
    assert mine["activity"] in activity and mine["old_activity"] not in activity
    assert "update_me" in activity.values()
    assert all(item["user_id"] == alice.id for item in body["activity"])

    everything = json.dumps(body)
    assert "bob" not in everything.lower()
    for section, row_id in theirs.items():
        key = {"order": "orders", "idea": "ideas", "meeting": "meetings"}.get(section)
        if key:
            assert row_id not in ids(key)


async def test_a_new_account_exports_empty_sections(client: httpx.AsyncClient, bob: Account) -> None:
    body = (await client.get("/api/auth/me/export", headers=bob.headers)).json()
    assert body["user"]["email"] == bob.email
    assert all(body[section] == [] for section in SECTIONS - {"exported_at", "user"})


async def test_the_export_needs_a_token(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/api/auth/me/export"), 401, "unauthorized")
