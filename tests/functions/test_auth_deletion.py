"""Accounts: DELETE /api/auth/me anonymises, deactivates and revokes; the email can register again."""

from __future__ import annotations

import httpx
from sqlalchemy import select, text

from lib.core.db import session
from lib.models import ActivityLog, Project
from lib.models.rate_limits import RateLimitHit
from tests.functions.account_rows import catalogue, counts, rows_of
from tests.functions.accounts_support import account_tokens, outbox, user_row
from tests.functions.auth_support import PASSWORD, activity_rows_as_text, login
from tests.support import Account, assert_error, create_account


async def delete_me(client: httpx.AsyncClient, account: Account, password: str) -> httpx.Response:
    return await client.request(
        "DELETE", "/api/auth/me", json={"password": password}, headers=account.headers
    )


async def test_deletion_anonymises_and_keeps_only_bookkeeping(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    plan_id, service_id = await catalogue()
    mine = await rows_of(alice.id, plan_id, service_id, "alice")
    await rows_of(bob.id, plan_id, service_id, "bob")
    bobs_before = await counts(bob.id)
    await client.patch(
        "/api/auth/me", json={"phone": "+91 98765 43210", "college": "IIT"}, headers=alice.headers
    )
    await client.post("/api/auth/password-reset", json={"email": alice.email})  # a live link, a limit bucket
    await client.post("/api/auth/login", json={"email": alice.email, "password": "a wrong guess"})

    response = await delete_me(client, alice, alice.password)
    assert response.status_code == 204, response.text
    assert response.content == b""
    async with session() as db:
        buckets = list(await db.scalars(select(RateLimitHit.bucket)))
    assert not any(alice.email in bucket for bucket in buckets), buckets

    user = await user_row(alice.id)
    assert (user.email, user.full_name) == (f"deleted-{alice.id}@invalid", "Deleted user")
    assert [user.phone, user.college, user.department, user.graduation_year, user.last_login_at] == [None] * 5
    assert not user.is_active and not user.is_admin and not user.email_notifications
    assert user.token_version == 1 and not user.password_hash.startswith("$argon2")
    assert_error(await client.get("/api/auth/me", headers=alice.headers), 401, "unauthorized")
    assert (await login(client, alice.email, alice.password)).status_code == 401

    left = await counts(alice.id)
    assert left["chatbot_history"] == left["chatbot_history_archive"] == left["idea_generation_history"] == 0
    assert left["notifications"] == 0
    for kept in ("orders", "user_services", "synopsis", "meetings", "admin_requests", "projects"):
        assert left[kept] >= 1, kept
    async with session() as db:
        projects = list(await db.scalars(select(Project).where(Project.user_id == alice.id)))
        activity = list(await db.scalars(select(ActivityLog).where(ActivityLog.user_id == alice.id)))
    assert projects and all(p.deleted_at is not None for p in projects)
    assert mine["project"] in {p.id for p in projects}
    assert activity and all(
        a.ip_address is None and a.user_agent is None and a.details is None for a in activity
    )
    assert await account_tokens(alice.id) == []
    assert await counts(bob.id) == bobs_before  # nobody else's rows

    # Nothing personal left in any row of the account, its activity or its orders.
    async with session() as db:
        dumped = " ".join(
            await db.scalars(
                text(
                    "SELECT row_to_json(t)::text FROM (SELECT * FROM users WHERE id = :id) t "
                    "UNION ALL SELECT row_to_json(a)::text FROM activity_logs a WHERE user_id = :id "
                    "UNION ALL SELECT row_to_json(o)::text FROM orders o WHERE user_id = :id"
                ),
                {"id": alice.id},
            )
        )
    for personal in (alice.email, "Alice", "IIT", "98765", "198.51.100.23", "Mozilla"):
        assert personal not in dumped, personal

    [goodbye] = await outbox("account_deleted")
    assert goodbye.recipient == alice.email and "Hello Alice," in goodbye.text_body
    [row] = await activity_rows_as_text("delete_me")
    assert alice.password not in row


async def test_the_email_can_register_again(client: httpx.AsyncClient, alice: Account) -> None:
    assert (await delete_me(client, alice, alice.password)).status_code == 204
    response = await client.post(
        "/api/auth/register", json={"email": alice.email, "password": PASSWORD, "full_name": "Alice Again"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["user"]["id"] != alice.id
    assert (await login(client, alice.email, PASSWORD)).json()["user"]["full_name"] == "Alice Again"


async def test_a_wrong_password_deletes_nothing(client: httpx.AsyncClient, alice: Account) -> None:
    error = assert_error(await delete_me(client, alice, "not my password"), 401, "unauthorized")
    assert "password" in error["message"].lower()
    user = await user_row(alice.id)
    assert user.is_active and user.email == alice.email and user.token_version == 0
    assert await outbox() == []
    # Counted like a failed login.
    for attempt in range(4):
        assert (await delete_me(client, alice, f"guess-{attempt}")).status_code == 401
    assert_error(await delete_me(client, alice, alice.password), 429, "rate_limited")


async def test_deletion_needs_the_password_field(client: httpx.AsyncClient, alice: Account) -> None:
    error = assert_error(
        await client.request("DELETE", "/api/auth/me", json={}, headers=alice.headers),
        422,
        "validation_error",
    )
    assert [item["loc"] for item in error["details"]] == [["body", "password"]]
    assert_error(await client.request("DELETE", "/api/auth/me", headers=alice.headers), 400, "bad_request")


async def test_the_last_active_admin_cannot_delete_their_account(
    client: httpx.AsyncClient, admin: Account
) -> None:
    error = assert_error(await delete_me(client, admin, admin.password), 409, "conflict")
    assert "admin" in error["message"].lower()
    assert (await user_row(admin.id)).is_active
    second = await create_account("second-admin@example.com", "Second", admin=True)
    assert (await delete_me(client, admin, admin.password)).status_code == 204
    assert (await user_row(second.id)).is_admin
