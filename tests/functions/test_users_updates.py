"""Admin user management, writing: PATCH /api/users/{id} (the self and last-admin rules, revocation)
and POST /api/users/{id}/password-reset (the user gets the link; the admin sees nothing of it)."""

from __future__ import annotations

import asyncio
import json

import httpx
from sqlalchemy import func, select, text

from lib.core.db import session
from lib.rules import accounts
from tests.functions.accounts_support import account_tokens, confirm, me_status, outbox, token_of, user_row
from tests.functions.auth_support import activity_rows_as_text, login
from tests.support import Account, assert_error, create_account


async def patch_user(
    client: httpx.AsyncClient, admin: Account, user_id: int, body: dict[str, bool]
) -> httpx.Response:
    return await client.patch(f"/api/users/{user_id}", json=body, headers=admin.headers)


async def test_deactivation_revokes_at_once_and_reactivation_restores_login(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    response = await patch_user(client, admin, alice.id, {"is_active": False})
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False and response.json()["id"] == alice.id
    assert_error(await client.get("/api/auth/me", headers=alice.headers), 401, "unauthorized")
    assert (await login(client, alice.email, alice.password)).status_code == 401
    assert (await user_row(alice.id)).token_version == 1

    assert (await patch_user(client, admin, alice.id, {"is_active": True})).json()["is_active"] is True
    assert (await user_row(alice.id)).token_version == 1  # reactivating revokes nothing more
    assert await me_status(client, alice) == 401  # the old token stays revoked
    assert (await login(client, alice.email, alice.password)).status_code == 200
    [first, _] = [json.loads(row) for row in await activity_rows_as_text("update_user")]
    assert first["user_id"] == admin.id and first["entity_id"] == str(alice.id)
    assert first["details"] == {"fields": ["is_active"], "is_active": False}


async def test_promotion_and_demotion(client: httpx.AsyncClient, admin: Account, alice: Account) -> None:
    promoted = await patch_user(client, admin, alice.id, {"is_admin": True})
    assert promoted.status_code == 200 and promoted.json()["is_admin"] is True
    assert await me_status(client, alice) == 200  # a promotion revokes nothing
    assert (await client.get("/api/users", headers=alice.headers)).status_code == 200

    demoted = await patch_user(client, admin, alice.id, {"is_admin": False})
    assert demoted.status_code == 200 and demoted.json()["is_admin"] is False
    assert_error(await client.get("/api/auth/me", headers=alice.headers), 401, "unauthorized")
    fresh = (await login(client, alice.email, alice.password)).json()["access_token"]
    assert_error(
        await client.get("/api/users", headers={"Authorization": f"Bearer {fresh}"}), 403, "forbidden"
    )


async def test_an_empty_or_unchanged_patch_revokes_nothing(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    assert (await patch_user(client, admin, alice.id, {})).json()["is_active"] is True
    assert (
        await patch_user(client, admin, alice.id, {"is_active": True, "is_admin": False})
    ).status_code == 200
    assert await me_status(client, alice) == 200


async def test_admins_cannot_deactivate_or_demote_themselves(
    client: httpx.AsyncClient, admin: Account
) -> None:
    await create_account("second-admin@example.com", "Second", admin=True)
    for body in ({"is_active": False}, {"is_admin": False}, {"is_active": True, "is_admin": False}):
        error = assert_error(await patch_user(client, admin, admin.id, body), 409, "conflict")
        assert "yourself" in error["message"]
    assert await me_status(client, admin) == 200
    assert (await patch_user(client, admin, admin.id, {"is_admin": True})).status_code == 200


async def _advisory_waiters() -> int:
    async with session() as db:
        statement = (
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'"
        )
        return int(await db.scalar(text(statement)) or 0)


async def test_two_admins_demoting_each_other_at_once_leave_one(
    client: httpx.AsyncClient, admin: Account
) -> None:
    other = await create_account("second-admin@example.com", "Second", admin=True)
    # Both requests are authenticated (as admins) and queued on the admins lock before either runs.
    async with session() as db:
        await db.execute(select(func.pg_advisory_xact_lock(accounts.ADMINS_LOCK)))
        racing = asyncio.gather(
            patch_user(client, admin, other.id, {"is_admin": False}),
            patch_user(client, other, admin.id, {"is_active": False}),
        )
        for _ in range(250):
            if await _advisory_waiters() >= 2:
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the two requests never queued on the admins lock")
    responses = await racing
    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    [refused] = [r for r in responses if r.status_code == 409]
    assert "last active admin" in assert_error(refused, 409, "conflict")["message"]
    rows = [await user_row(admin.id), await user_row(other.id)]
    assert sum(row.is_admin and row.is_active for row in rows) == 1


async def test_unknown_users_and_bad_bodies(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    assert_error(await patch_user(client, admin, 999_999, {"is_active": False}), 404, "not_found")
    assert_error(await patch_user(client, admin, 999_999, {"is_admin": True}), 404, "not_found")
    for body in ({"is_active": "no"}, {"is_admin": None}, {"email": "x@example.com"}):
        assert_error(await patch_user(client, admin, alice.id, body), 422, "validation_error")  # type: ignore[arg-type]
    assert_error(await patch_user(client, alice, alice.id, {"is_admin": True}), 403, "forbidden")


# --- an admin's reset link ------------------------------------------------------------------------------


async def test_an_admin_sends_the_user_a_reset_link(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    response = await client.post(f"/api/users/{alice.id}/password-reset", headers=admin.headers)
    assert response.status_code == 202 and response.json() == {"status": "accepted"}
    [mail] = await outbox("password_reset")
    assert mail.recipient == alice.email
    token = token_of(mail)
    assert token not in response.text
    [row] = await activity_rows_as_text("send_password_reset")
    assert token not in row and json.loads(row)["user_id"] == admin.id
    assert json.loads(row)["entity_id"] == str(alice.id)
    assert (await user_row(alice.id)).token_version == 0  # nothing revoked until the user acts

    assert (await confirm(client, token)).status_code == 200
    assert await me_status(client, alice) == 401


async def test_no_reset_link_for_an_unknown_or_deactivated_user(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    assert_error(
        await client.post("/api/users/999999/password-reset", headers=admin.headers), 404, "not_found"
    )
    await patch_user(client, admin, alice.id, {"is_active": False})
    refused = await client.post(f"/api/users/{alice.id}/password-reset", headers=admin.headers)
    assert_error(refused, 409, "conflict")
    assert await outbox("password_reset") == [] and await account_tokens(alice.id) == []
