"""Notifications: each kind made by its trigger in the same statement, mailed once over real SMTP, read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from devkit.smtp_server import SmtpServer
from lib.core.db import session
from lib.models.notifications import Notification
from lib.models.synopsis import Synopsis
from lib.models.users import User
from tests.functions import admin_requests_support, meetings_support
from tests.functions.accounts_support import arrived, mail_server, outbox
from tests.functions.orders_support import make_order
from tests.functions.synopsis_support import make_synopsis
from tests.support import Account, assert_error, create_account, force_status

KEYS = {"id", "kind", "title", "body", "entity_type", "entity_id", "read_at", "created_at"}


@pytest.fixture
def smtp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    with mail_server(tmp_path / "mail", monkeypatch) as server:
        yield server


async def rows(user_id: int | None = None) -> list[Notification]:
    async with session() as db:
        statement = select(Notification).order_by(Notification.id)
        if user_id is not None:
            statement = statement.where(Notification.user_id == user_id)
        return list(await db.scalars(statement))


async def listed(client: httpx.AsyncClient, account: Account, **query: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/notifications", params=query, headers=account.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def email_off(account: Account) -> None:
    async with session() as db:
        await db.execute(update(User).where(User.id == account.id).values(email_notifications=False))


async def the_one(account: Account, kind: str, entity_id: int) -> Notification:
    [row] = await rows(account.id)
    assert (row.kind, row.entity_id, row.read_at) == (kind, entity_id, None)
    return row


async def assert_mailed_once(smtp: SmtpServer, account: Account, title: str) -> None:
    [mail] = await arrived(smtp, 1)
    assert mail.recipients == (account.email,)
    assert mail.message["Subject"] == title
    assert "https://app.example.com/notifications" in mail.text
    assert [m.status for m in await outbox("notification")] == ["sent"]


# --- one test per kind: its trigger makes it, with its mail ----------------------------------------


@pytest.mark.parametrize("to", ["under_review", "approved", "rejected"])
async def test_synopsis_reviewed(
    client: httpx.AsyncClient, alice: Account, admin: Account, smtp: SmtpServer, to: str
) -> None:
    await email_off(admin)  # the admin's synopsis_submitted mail is not under test here
    synopsis = await make_synopsis(client, alice, status="submitted")
    if to != "under_review":
        await force_status(Synopsis, synopsis["id"], "under_review")
    body: dict[str, Any] = {"status": to}
    if to != "under_review":
        body["feedback"] = "Narrow the scope to one crop."
    response = await client.patch(f"/api/synopsis/{synopsis['id']}", json=body, headers=admin.headers)
    assert response.status_code == 200, response.text

    row = await the_one(alice, "synopsis_reviewed", synopsis["id"])
    assert row.entity_type == "synopsis"
    if to != "under_review":
        assert "Narrow the scope to one crop." in row.body
    await assert_mailed_once(smtp, alice, row.title)


async def test_synopsis_submitted_tells_every_active_admin_but_nobody_else(
    client: httpx.AsyncClient, alice: Account, admin: Account, smtp: SmtpServer
) -> None:
    other_admin = await create_account("second-admin@example.com", "Second", admin=True)
    retired = await create_account("retired-admin@example.com", "Retired", admin=True)
    async with session() as db:
        await db.execute(update(User).where(User.id == retired.id).values(is_active=False))
    draft = await make_synopsis(client, alice)
    assert await rows() == []  # a draft tells nobody

    response = await client.patch(
        f"/api/synopsis/{draft['id']}", json={"status": "submitted"}, headers=alice.headers
    )
    assert response.status_code == 200, response.text
    told = await rows()
    assert sorted(row.user_id for row in told) == sorted([admin.id, other_admin.id])
    assert {(row.kind, row.entity_id) for row in told} == {("synopsis_submitted", draft["id"])}
    mails = await arrived(smtp, 2)
    assert sorted(m.recipients[0] for m in mails) == sorted([admin.email, other_admin.email])


async def test_synopsis_created_as_submitted_tells_the_admins(
    client: httpx.AsyncClient, alice: Account, admin: Account, smtp: SmtpServer
) -> None:
    synopsis = await make_synopsis(client, alice, status="submitted", title="Drip irrigation")
    row = await the_one(admin, "synopsis_submitted", synopsis["id"])
    assert "Drip irrigation" in row.body and "Alice" in row.title
    await assert_mailed_once(smtp, admin, row.title)


async def test_meeting_confirmed(
    client: httpx.AsyncClient, alice: Account, admin: Account, smtp: SmtpServer
) -> None:
    await email_off(admin)  # the admin's meeting_requested mail is not under test here
    meeting = await meetings_support.create(client, alice)
    body = {"status": "confirmed", "meeting_link": meetings_support.LINK}
    response = await client.patch(f"/api/meetings/{meeting['id']}", json=body, headers=admin.headers)
    assert response.status_code == 200, response.text
    row = await the_one(alice, "meeting_confirmed", meeting["id"])
    assert meetings_support.LINK in row.body
    await assert_mailed_once(smtp, alice, row.title)


async def test_meeting_cancelled_by_an_admin_tells_the_owner_and_by_the_owner_nobody(
    client: httpx.AsyncClient, alice: Account, admin: Account, smtp: SmtpServer
) -> None:
    await email_off(admin)
    mine, theirs = await meetings_support.create(client, alice), await meetings_support.create(client, alice)
    cancel = {"status": "cancelled"}
    assert (
        await client.patch(f"/api/meetings/{mine['id']}", json=cancel, headers=alice.headers)
    ).status_code == 200
    assert await rows(alice.id) == []
    response = await client.patch(f"/api/meetings/{theirs['id']}", json=cancel, headers=admin.headers)
    assert response.status_code == 200, response.text
    row = await the_one(alice, "meeting_cancelled", theirs["id"])
    await assert_mailed_once(smtp, alice, row.title)


async def test_meeting_requested(
    client: httpx.AsyncClient, alice: Account, admin: Account, smtp: SmtpServer
) -> None:
    meeting = await meetings_support.create(client, alice, agenda="Talk about sensors")
    row = await the_one(admin, "meeting_requested", meeting["id"])
    assert "Talk about sensors" in row.body and row.entity_type == "meeting"
    await assert_mailed_once(smtp, admin, row.title)


async def test_order_status_moved_by_an_admin(
    client: httpx.AsyncClient, alice: Account, admin: Account, plan_id: int, smtp: SmtpServer
) -> None:
    order = await make_order(client, alice, plan_id)
    response = await client.patch(
        f"/api/orders/{order['id']}", json={"status": "paid"}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    row = await the_one(alice, "order_status", order["id"])
    assert row.title == "Your order is paid"
    await assert_mailed_once(smtp, alice, row.title)


async def test_admin_request_answered(
    client: httpx.AsyncClient, alice: Account, admin: Account, smtp: SmtpServer
) -> None:
    await email_off(admin)
    request = await admin_requests_support.create(client, alice)
    body = {"status": "resolved", "admin_response": "Extended by two weeks."}
    response = await client.patch(f"/api/admin-requests/{request['id']}", json=body, headers=admin.headers)
    assert response.status_code == 200, response.text
    row = await the_one(alice, "admin_request_answered", request["id"])
    assert "Extended by two weeks." in row.body
    await assert_mailed_once(smtp, alice, row.title)


async def test_admin_request_opened(
    client: httpx.AsyncClient, alice: Account, admin: Account, smtp: SmtpServer
) -> None:
    request = await admin_requests_support.create(client, alice)
    row = await the_one(admin, "admin_request_opened", request["id"])
    assert admin_requests_support.MESSAGE in row.body
    await assert_mailed_once(smtp, admin, row.title)


# --- what must not happen ----------------------------------------------------------------------------


async def test_opted_out_users_are_notified_but_not_mailed(
    client: httpx.AsyncClient, alice: Account, admin: Account, plan_id: int, smtp: SmtpServer
) -> None:
    await email_off(alice)
    order = await make_order(client, alice, plan_id)
    response = await client.patch(
        f"/api/orders/{order['id']}", json={"status": "paid"}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    await the_one(alice, "order_status", order["id"])
    assert await outbox("notification") == [] and smtp.messages == []


async def test_nobody_is_told_of_their_own_move(
    client: httpx.AsyncClient, alice: Account, plan_id: int, smtp: SmtpServer
) -> None:
    order = await make_order(client, alice, plan_id)
    response = await client.patch(
        f"/api/orders/{order['id']}", json={"status": "cancelled"}, headers=alice.headers
    )
    assert response.status_code == 200, response.text
    assert await rows() == [] and await outbox("notification") == []


async def test_a_refused_move_notifies_nobody(
    client: httpx.AsyncClient, alice: Account, admin: Account, plan_id: int, smtp: SmtpServer
) -> None:
    order = await make_order(client, alice, plan_id)
    response = await client.patch(
        f"/api/orders/{order['id']}", json={"status": "completed"}, headers=admin.headers
    )
    assert_error(response, 409, "conflict")
    assert await rows() == [] and await outbox("notification") == []


# --- the list, the count, marking read ---------------------------------------------------------------


async def test_list_is_own_newest_first_and_filters_unread(
    client: httpx.AsyncClient, alice: Account, bob: Account, admin: Account, plan_id: int
) -> None:
    first, second = await make_order(client, alice, plan_id), await make_order(client, alice, plan_id)
    for order in (first, second):
        assert (
            await client.patch(f"/api/orders/{order['id']}", json={"status": "paid"}, headers=admin.headers)
        ).status_code == 200
    items = await listed(client, alice)
    assert [item["entity_id"] for item in items] == [second["id"], first["id"]]
    assert set(items[0]) == KEYS and items[0]["kind"] == "order_status"
    assert await listed(client, bob) == []
    assert await listed(client, admin) == []  # admins see their own only, never all

    marked = await client.post(
        "/api/notifications/read", json={"ids": [items[1]["id"]]}, headers=alice.headers
    )
    assert marked.status_code == 200 and marked.json() == {"updated": 1}
    assert [i["entity_id"] for i in await listed(client, alice, unread="true")] == [second["id"]]
    [read] = await listed(client, alice, unread="false")
    assert read["entity_id"] == first["id"] and read["read_at"] is not None


async def test_unread_count_answers_304_while_unchanged(
    client: httpx.AsyncClient, alice: Account, admin: Account, plan_id: int
) -> None:
    response = await client.get("/api/notifications/unread-count", headers=alice.headers)
    assert response.status_code == 200 and response.json() == {"count": 0}
    etag = response.headers["etag"]
    assert response.headers["cache-control"] == "private, no-store"
    again = await client.get(
        "/api/notifications/unread-count", headers={**alice.headers, "If-None-Match": etag}
    )
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag

    order = await make_order(client, alice, plan_id)
    assert (
        await client.patch(f"/api/orders/{order['id']}", json={"status": "paid"}, headers=admin.headers)
    ).status_code == 200
    changed = await client.get(
        "/api/notifications/unread-count", headers={**alice.headers, "If-None-Match": etag}
    )
    assert changed.status_code == 200 and changed.json() == {"count": 1}
    assert changed.headers["etag"] != etag


async def test_marking_read_never_touches_another_users_rows(
    client: httpx.AsyncClient, alice: Account, bob: Account, admin: Account, plan_id: int
) -> None:
    for account in (alice, bob):
        order = await make_order(client, account, plan_id)
        assert (
            await client.patch(f"/api/orders/{order['id']}", json={"status": "paid"}, headers=admin.headers)
        ).status_code == 200
    [bobs] = await rows(bob.id)
    response = await client.post("/api/notifications/read", json={"ids": [bobs.id]}, headers=alice.headers)
    assert response.status_code == 200 and response.json() == {"updated": 0}
    everything = await client.post("/api/notifications/read", json={"all": True}, headers=alice.headers)
    assert everything.json() == {"updated": 1}
    [after] = await rows(bob.id)
    assert after.read_at is None
    [alices] = await rows(alice.id)
    assert alices.read_at is not None
    again = await client.post("/api/notifications/read", json={"all": True}, headers=alice.headers)
    assert again.json() == {"updated": 0}  # already read: read_at is kept, not moved


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"ids": []},
        {"all": False},
        {"ids": [1], "all": True},
        {"ids": [0]},
        {"ids": "1"},
        {"ids": [1] * 501},
    ],
)
async def test_mark_read_refuses_a_bad_body(
    client: httpx.AsyncClient, alice: Account, body: dict[str, Any]
) -> None:
    response = await client.post("/api/notifications/read", json=body, headers=alice.headers)
    assert_error(response, 422, "validation_error")


async def test_account_deletion_removes_its_notifications(
    client: httpx.AsyncClient, alice: Account, admin: Account, plan_id: int
) -> None:
    order = await make_order(client, alice, plan_id)
    assert (
        await client.patch(f"/api/orders/{order['id']}", json={"status": "paid"}, headers=admin.headers)
    ).status_code == 200
    assert len(await rows(alice.id)) == 1
    response = await client.request(
        "DELETE", "/api/auth/me", json={"password": alice.password}, headers=alice.headers
    )
    assert response.status_code in (200, 204), response.text
    assert await rows(alice.id) == []


async def test_the_polled_count_is_an_index_only_scan(alice: Account) -> None:
    """The count reads the partial index of unread rows alone, never the table (or another user's rows)."""
    from sqlalchemy import func, text

    statement = select(func.count()).where(Notification.user_id == alice.id, Notification.read_at.is_(None))
    async with session() as db:
        await db.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny table would be scanned whole
        compiled = statement.compile(compile_kwargs={"literal_binds": True})
        plan = "\n".join(await db.scalars(text(f"EXPLAIN {compiled}")))
    assert "Index Only Scan using ix_notifications_unread_user_id" in plan, plan
