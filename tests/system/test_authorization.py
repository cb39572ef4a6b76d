"""Who may call what: every route of every function by {anonymous, owner, other user, admin}.

The table below is the single source: a route a function serves without a row here fails
`test_every_route_has_a_row`, so no new endpoint ships without its authorization cells.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from lib.core.db import session
from lib.models import (
    AdminRequest,
    ChatbotMessage,
    File,
    Idea,
    Meeting,
    Notification,
    Order,
    Plan,
    Project,
    Service,
    Synopsis,
)
from tests.support import DEFAULT_PASSWORD, create_account

ACTORS = ("anonymous", "owner", "other", "admin")
Body = Callable[[dict[str, Any], str], Any] | None


def row(anonymous: int, owner: int, other: int, admin: int, body: Body = None) -> tuple[dict[str, int], Body]:
    return {"anonymous": anonymous, "owner": owner, "other": other, "admin": admin}, body


def same(status: int, body: Body = None) -> tuple[dict[str, int], Body]:
    return row(status, status, status, status, body)


def user_route(success: int = 200, body: Body = None) -> tuple[dict[str, int], Body]:
    """Any signed-in user: their own collection or a new row of their own."""
    return row(401, success, success, success, body)


def owned(success: int = 200, body: Body = None, admin: int | None = None) -> tuple[dict[str, int], Body]:
    """A row of the owner's: another user gets 404 (never 403), an admin may act on it."""
    return row(401, success, 404, success if admin is None else admin, body)


def admin_only(success: int = 200, body: Body = None) -> tuple[dict[str, int], Body]:
    return row(401, 403, 403, success, body)


def in_a_week() -> str:
    return (datetime.now(UTC) + timedelta(days=7)).isoformat()


MATRIX: dict[str, tuple[dict[str, int], Body]] = {
    "GET /api/health": same(200),
    "GET /api/openapi.json": same(200),
    "GET /api/docs": same(200),
    "POST /api/auth/register": same(
        201,
        lambda ids, actor: {
            "email": f"new-{actor}@example.com",
            "password": "long enough pw",
            "full_name": "N",
        },
    ),
    "POST /api/auth/login": same(
        200, lambda ids, actor: {"email": "owner@example.com", "password": DEFAULT_PASSWORD}
    ),
    "GET /api/auth/me": user_route(),
    "PATCH /api/auth/me": user_route(200, lambda ids, actor: {"college": "IIT Madras"}),
    # The world's one admin is the last active one: their account stays.
    "DELETE /api/auth/me": row(401, 204, 204, 409, lambda ids, actor: {"password": DEFAULT_PASSWORD}),
    "GET /api/auth/me/export": user_route(),
    "POST /api/auth/password-reset": same(202, lambda ids, actor: {"email": "owner@example.com"}),
    # Anyone may try a link; a made-up one is refused the same way for everyone.
    "POST /api/auth/password-reset/confirm": same(
        400, lambda ids, actor: {"token": "made-up-token", "password": "long enough pw"}
    ),
    "POST /api/auth/verify-email": same(400, lambda ids, actor: {"token": "made-up-token"}),
    "POST /api/auth/verify-email/resend": user_route(202),
    "POST /api/auth/change-password": user_route(
        200, lambda ids, actor: {"current_password": DEFAULT_PASSWORD, "new_password": "another long pw"}
    ),
    "POST /api/auth/logout": user_route(204),
    "GET /api/users": admin_only(),
    "GET /api/users/{id}": admin_only(),
    "PATCH /api/users/{id}": admin_only(200, lambda ids, actor: {"is_active": True}),
    "POST /api/users/{id}/password-reset": admin_only(202),
    "GET /api/activity": user_route(),
    "GET /api/projects": user_route(),
    "POST /api/projects": user_route(201, lambda ids, actor: {"title": "New", "category": "web"}),
    "GET /api/projects/{id}": owned(),
    "PATCH /api/projects/{id}": owned(200, lambda ids, actor: {"title": "Renamed"}),
    "DELETE /api/projects/{id}": owned(204),
    "GET /api/plans": same(200),
    "GET /api/plans/{id}": same(200),
    "POST /api/plans": admin_only(201, lambda ids, actor: {"name": f"Plan {actor}", "price_cents": 100}),
    "PATCH /api/plans/{id}": admin_only(200, lambda ids, actor: {"description": "Updated"}),
    "GET /api/services": same(200),
    "GET /api/services/{id}": same(200),
    "GET /api/services/mine": user_route(),
    "POST /api/services": admin_only(
        201, lambda ids, actor: {"name": f"Service {actor}", "price_cents": 100}
    ),
    "PATCH /api/services/{id}": admin_only(200, lambda ids, actor: {"description": "Updated"}),
    "POST /api/services/{id}/subscribe": user_route(201, lambda ids, actor: {}),
    "GET /api/orders": user_route(),
    "POST /api/orders": user_route(201, lambda ids, actor: {"plan_id": ids["plan"]}),
    "GET /api/orders/{id}": owned(),
    "PATCH /api/orders/{id}": owned(200, lambda ids, actor: {"status": "cancelled"}),
    # Manual mode (no provider keys): the owner reaches the order and is told there is no checkout;
    # for anyone else, an admin included, the order is not theirs to pay.
    "POST /api/orders/{id}/checkout": row(401, 409, 404, 404),
    # The world's order is pending: an admin reaches it and is refused the refund (409).
    "POST /api/orders/{id}/refund": admin_only(409),
    # Webhooks come from the provider, anonymously: with no provider configured there is none to reach.
    "POST /api/payments/{provider}/webhook": same(404),
    "POST /api/payments/razorpay/verify": row(
        401,
        404,
        404,
        404,
        lambda ids, actor: {"razorpay_order_id": "o", "razorpay_payment_id": "p", "razorpay_signature": "s"},
    ),
    "GET /api/synopsis": user_route(),
    # The project must be the caller's own: for anyone but its owner it does not exist.
    "POST /api/synopsis": owned(
        201, lambda ids, actor: {"project_id": ids["project"], "title": "T", "abstract": "A"}, admin=404
    ),
    "GET /api/synopsis/{id}": owned(),
    # The text is its author's: an admin reviewing it (status, feedback) may not rewrite it.
    "PATCH /api/synopsis/{id}": owned(200, lambda ids, actor: {"title": "Better title"}, admin=409),
    "GET /api/meetings": user_route(),
    "POST /api/meetings": user_route(
        201, lambda ids, actor: {"scheduled_at": in_a_week(), "duration_minutes": 30, "agenda": "Review"}
    ),
    "GET /api/meetings/{id}": owned(),
    "PATCH /api/meetings/{id}": owned(200, lambda ids, actor: {"status": "cancelled"}),
    "GET /api/admin-requests": user_route(),
    "POST /api/admin-requests": user_route(
        201, lambda ids, actor: {"request_type": "billing", "message": "Hi"}
    ),
    "GET /api/admin-requests/{id}": owned(),
    # Only the author edits the message; an admin answers through a status move instead.
    "PATCH /api/admin-requests/{id}": owned(200, lambda ids, actor: {"message": "Edited"}, admin=409),
    # Every user's own notifications; another user's ids are ignored, never a 404 (the contract).
    "GET /api/notifications": user_route(),
    "GET /api/notifications/unread-count": user_route(),
    "POST /api/notifications/read": user_route(200, lambda ids, actor: {"all": True}),
    "POST /api/chatbot": user_route(200, lambda ids, actor: {"message": "hello"}),
    "GET /api/chatbot/sessions": user_route(),
    "GET /api/chatbot/sessions/{session_id}": owned(),
    "POST /api/ideas/generate": user_route(
        201, lambda ids, actor: {"category": "ml", "interests": ["vision"], "count": 1}
    ),
    "GET /api/ideas": user_route(),
    "GET /api/ideas/{id}": owned(),
    # Ideas are the student's own choices: an admin may read them but not rate or refine them.
    "PATCH /api/ideas/{id}": owned(200, lambda ids, actor: {"rating": 4}, admin=403),
    "POST /api/ideas/{id}/refine": owned(
        201, lambda ids, actor: {"instructions": "Make it simpler"}, admin=403
    ),
    "GET /api/admin/stats/active-users": admin_only(),
    "GET /api/admin/stats/failed-actions": admin_only(),
    "GET /api/admin/stats/chatbot-daily": admin_only(),
    "GET /api/admin/stats/chatbot-response-times": admin_only(),
    "GET /api/admin/stats/idea-categories": admin_only(),
    "GET /api/admin/stats/recent-ideas": admin_only(),
    "GET /api/files": user_route(),
    # The synopsis must be the caller's own, as for POST /api/synopsis.
    "POST /api/files": owned(
        201,
        lambda ids, actor: {
            "purpose": "synopsis",
            "entity_id": ids["synopsis"],
            "filename": "synopsis.pdf",
            "content_type": "application/pdf",
            "size_bytes": 1000,
        },
        admin=404,
    ),
    "GET /api/files/{id}": owned(),
    # The seeded file was never uploaded: its owner learns that (409); completing is the uploader's own.
    "POST /api/files/{id}/complete": owned(409, admin=404),
    "DELETE /api/files/{id}": owned(204),
    # A user's or admin's bearer token is not the cron secret.
    "GET /api/cron/archive": same(401),
    "GET /api/cron/outbox": same(401),
    "GET /api/cron/storage": same(401),
}

# Which seeded row an `{id}` in each path names.
PATH_IDS = {
    "/api/projects/{id}": "project",
    "/api/plans/{id}": "plan",
    "/api/services/{id}": "service",
    "/api/services/{id}/subscribe": "service",
    "/api/orders/{id}": "order",
    "/api/orders/{id}/checkout": "order",
    "/api/orders/{id}/refund": "order",
    "/api/synopsis/{id}": "synopsis",
    "/api/files/{id}": "file",
    "/api/files/{id}/complete": "file",
    "/api/meetings/{id}": "meeting",
    "/api/admin-requests/{id}": "admin_request",
    "/api/ideas/{id}": "idea",
    "/api/ideas/{id}/refine": "idea",
    "/api/chatbot/sessions/{session_id}": "session",
    "/api/users/{id}": "owner",
    "/api/users/{id}/password-reset": "owner",
}


def test_every_route_has_a_row() -> None:
    from api.openapi import all_endpoints
    from lib.web.openapi import openapi_path

    served = {f"{e.method} {openapi_path(e.path)}" for e in all_endpoints()}
    assert served == set(MATRIX), {"missing rows": served - set(MATRIX), "stale rows": set(MATRIX) - served}


@pytest.fixture
async def world(client):  # type: ignore[no-untyped-def]
    """One of everything, owned by `owner`; `other` is a second student; `admin` an admin."""
    owner = await create_account("owner@example.com", "Owner")
    other = await create_account("other@example.com", "Other")
    admin = await create_account("admin@example.com", "Admin", admin=True)
    session_id = uuid.uuid4()
    async with session() as db:
        plan = Plan(name="Basic", price_cents=1000, currency="INR")
        service = Service(name="Review", price_cents=500, currency="INR")
        project = Project(user_id=owner.id, title="Mine", category="web")
        db.add_all([plan, service, project])
        await db.flush()
        rows = {
            "order": Order(user_id=owner.id, plan_id=plan.id, amount_cents=1000, currency="INR"),
            "synopsis": Synopsis(
                user_id=owner.id, project_id=project.id, title="S", abstract="A", status="submitted"
            ),
            "meeting": Meeting(
                user_id=owner.id,
                scheduled_at=datetime.now(UTC) + timedelta(days=3),
                duration_minutes=30,
                agenda="A",
            ),
            "admin_request": AdminRequest(user_id=owner.id, request_type="billing", message="Help"),
            "idea": Idea(user_id=owner.id, title="I", description="D", category="ml", source="builtin"),
            "notification": Notification(
                user_id=owner.id, kind="order_status", title="T", body="B", entity_type="order", entity_id=1
            ),
        }
        db.add_all(rows.values())
        db.add(ChatbotMessage(user_id=owner.id, session_id=session_id, message_type="user", message="hi"))
        await db.flush()
        ids = {name: item.id for name, item in rows.items()}
        file = File(
            user_id=owner.id,
            purpose="synopsis",
            entity_id=ids["synopsis"],
            filename="synopsis.pdf",
            content_type="application/pdf",
            size_bytes=1000,
            storage_key=f"synopsis/{owner.id}/{uuid.uuid4().hex}.pdf",
        )
        db.add(file)
        await db.flush()
        ids["file"] = file.id
    ids |= {"plan": plan.id, "service": service.id, "project": project.id, "session": str(session_id)}
    ids["owner"] = owner.id
    return {
        "ids": ids,
        "tokens": {"owner": owner.headers, "other": other.headers, "admin": admin.headers, "anonymous": {}},
    }


async def send_cell(
    client: httpx.AsyncClient, world: dict[str, Any], route: str, actor: str, request: pytest.FixtureRequest
) -> tuple[httpx.Response, int]:
    """One matrix cell's request, sent as `actor` in the seeded world: the response, the status it is due."""
    expected, body = MATRIX[route][0][actor], MATRIX[route][1]
    method, template = route.split(" ", 1)
    if template.startswith("/api/files/"):
        request.getfixturevalue("storage")  # completing and deleting ask the local S3 server
    ids = world["ids"]
    key = PATH_IDS.get(template)
    path = template.replace("{id}", str(ids[key])).replace("{session_id}", str(ids[key])) if key else template
    path = path.replace("{provider}", "razorpay")
    kwargs: dict[str, Any] = {"headers": world["tokens"][actor]}
    if body is not None:
        kwargs["json"] = body(ids, actor)
    return await client.request(method, path, **kwargs), expected


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("route", sorted(MATRIX))
async def test_authorization_cell(
    client: httpx.AsyncClient, world, route: str, actor: str, request: pytest.FixtureRequest
) -> None:
    response, expected = await send_cell(client, world, route, actor, request)
    assert response.status_code == expected, response.text
    if expected >= 400:
        assert (
            response.json()["error"]["code"]
            in {
                400: {"invalid_token"},
                401: {"unauthorized"},
                403: {"forbidden"},
                404: {"not_found"},
                # Manual mode's checkout is a conflict of its own: there is no provider to pay through.
                409: {"conflict", "payments_not_configured"},
            }[expected]
        )


# --- one row read with its caller (`reads=OwnedRead(...)`: the user lookup and the row, one statement)


def _reads_with_caller(kind: str) -> dict[str, Any]:
    """The GET routes whose `reads` is an `OwnedRead` or a `VisibleList` (`kind`), by route."""
    from api.openapi import all_endpoints
    from lib.web.openapi import openapi_path

    return {f"GET {openapi_path(e.path)}": e for e in all_endpoints() if type(e.reads).__name__ == kind}


def _single_row_reads() -> dict[str, Any]:
    return _reads_with_caller("OwnedRead")


def test_the_reads_of_one_owned_row_each_come_with_their_caller() -> None:
    """Every GET of one row of the owner's by id reads it with the caller, and only those do."""
    owned_gets = {
        route
        for route, (cells, _) in MATRIX.items()
        if route.startswith("GET ") and route.endswith("/{id}") and cells == owned()[0]
    }
    # A file's GET signs a download link (lib/rules/files.py): its own read, not a row as is.
    assert set(_single_row_reads()) == owned_gets - {"GET /api/files/{id}"}
    assert all(e.reads.with_caller({"id": 1}, None) is not None for e in _single_row_reads().values())


@pytest.mark.parametrize("route", sorted(_single_row_reads()))
async def test_a_row_read_with_its_caller_is_the_rows_own_and_refused_to_a_revoked_token(
    client: httpx.AsyncClient, world: dict[str, Any], route: str
) -> None:
    from sqlalchemy import update

    from lib.models.users import User

    reads = _single_row_reads()[route]
    row_id = world["ids"][PATH_IDS[route.split(" ", 1)[1]]]
    path = route.split(" ", 1)[1].replace("{id}", str(row_id))
    owner, admin = world["tokens"]["owner"], world["tokens"]["admin"]

    # The same body as the row itself, validated from the ORM's object, for the owner and an admin.
    async with session() as db:
        expected = reads.reads.out.model_validate(await db.get(reads.reads.model, row_id)).model_dump(
            mode="json"
        )
    for headers in (owner, admin):
        response = await client.get(path, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json() == expected
    missing = await client.get(path.replace(f"/{row_id}", f"/{row_id + 10_000}"), headers=owner)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")

    # The row is read in the same statement, but a token that no longer holds never gets it.
    async with session() as db:
        await db.execute(
            update(User).where(User.id == world["ids"]["owner"]).values(token_version=User.token_version + 1)
        )
    revoked = await client.get(path, headers=owner)
    assert (revoked.status_code, revoked.json()["error"]["code"]) == (401, "unauthorized")
    assert set(revoked.json()) == {"error"}  # nothing of the row
    async with session() as db:
        await db.execute(update(User).where(User.email == "admin@example.com").values(is_active=False))
    deactivated = await client.get(path, headers=admin)
    assert (deactivated.status_code, deactivated.json()["error"]["code"]) == (401, "unauthorized")


async def test_a_soft_deleted_project_is_not_found_by_its_owner_or_an_admin(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    path = f"/api/projects/{world['ids']['project']}"
    assert (await client.delete(path, headers=world["tokens"]["owner"])).status_code == 204
    for actor in ("owner", "admin"):
        response = await client.get(path, headers=world["tokens"][actor])
        assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found"), actor


# --- a page read with its caller (`reads=VisibleList(...)`): who sees what decided in SQL


async def _add_copies(model: Any, row_id: int, owners: list[int]) -> None:
    """Rows like `row_id`, one for each of `owners` (new ids; created one after another)."""
    columns = [
        c.key
        for c in model.__table__.columns
        if not c.primary_key and c.computed is None and c.key not in ("user_id", "created_at", "updated_at")
    ]
    unique = {c.key for c in model.__table__.columns if c.unique} | {
        column.key
        for constraint in model.__table__.constraints
        if type(constraint).__name__ == "UniqueConstraint" and len(constraint.columns) == 1
        for column in constraint.columns
    }
    for number, owner_id in enumerate(owners):
        async with session() as db:
            original = await db.get(model, row_id)
            values = {key: getattr(original, key) for key in columns}
            values |= {key: f"{values[key]}-copy{number}" for key in unique}  # e.g. a file's storage key
            db.add(model(**values, user_id=owner_id))


# For a list whose filters are none of its columns: a value of the filter the owner's row passes.
PASSING_FILTERS: dict[str, Callable[[Any], str]] = {
    "GET /api/notifications": lambda row: str(row.read_at is None).lower(),
}


@pytest.mark.parametrize("route", sorted(_reads_with_caller("VisibleList")))
async def test_a_page_read_with_its_caller_is_the_page_the_caller_may_see(
    client: httpx.AsyncClient, world: dict[str, Any], route: str
) -> None:
    from sqlalchemy import func, select, update

    from lib.models.users import User

    reads = _reads_with_caller("VisibleList")[route].reads
    endpoint = _reads_with_caller("VisibleList")[route]
    path = route.split(" ", 1)[1]
    ids = world["ids"]
    owner_id = ids["owner"]
    async with session() as db:
        other_id = await db.scalar(select(User.id).where(User.email == "other@example.com"))
        admin_id = await db.scalar(select(User.id).where(User.email == "admin@example.com"))
        row_id = await db.scalar(select(reads.model.id).where(reads.model.user_id == owner_id))
        # A filter the owner's row passes: its first field's value, or the first other filter's
        # (a notification unread, an idea not selected, a meeting from its own time).
        row = await db.get(reads.model, row_id)
        if reads.fields:
            narrowed = {reads.fields[0]: str(getattr(row, reads.fields[0]))}
        else:
            narrowed = {next(iter(reads.filters)): PASSING_FILTERS[route](row)}
        admins_own = await db.scalar(
            select(func.count()).select_from(reads.model).where(reads.model.user_id == admin_id)
        )
    await _add_copies(reads.model, row_id, [owner_id, owner_id, other_id])

    async def expected(user_id: int, query: dict[str, str]) -> Any:
        """The same page as the handler's own read (`own_page`) for this caller and query."""
        async with session() as db:
            user = await db.get(User, user_id)
            page = await reads.own_page(db, user, endpoint.query.model_validate(query))
            return page.model_dump(mode="json")

    # The owner sees their 3 rows, the other user their 1, the admin all 4 (or only their own),
    # page after page.
    visible = {"owner": 3, "other": 1, "admin": 4 if reads.admin_sees_all else admins_own}
    for actor, user_id in (("owner", owner_id), ("other", other_id), ("admin", admin_id)):
        for query in ({}, {"limit": "2"}, {**narrowed, "limit": "2"}):
            seen: list[int] = []
            while True:
                response = await client.get(path, params=query, headers=world["tokens"][actor])
                assert response.status_code == 200, response.text
                assert response.json() == await expected(user_id, query), (actor, query)
                seen += [item["id"] for item in response.json()["items"]]
                if not response.json()["next_cursor"]:
                    break
                query = {**query, "cursor": response.json()["next_cursor"]}
            assert len(seen) == len(set(seen)) == visible[actor], (actor, query, seen)

    # A bad cursor is a 422 for a valid token; a revoked token is a 401 first, with nothing listed.
    bad = await client.get(path, params={"cursor": "not-a-cursor"}, headers=world["tokens"]["owner"])
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "validation_error"), bad.text
    async with session() as db:
        await db.execute(update(User).where(User.id == owner_id).values(token_version=User.token_version + 1))
    for query in ({}, {"cursor": "not-a-cursor"}):
        revoked = await client.get(path, params=query, headers=world["tokens"]["owner"])
        assert (revoked.status_code, revoked.json()["error"]["code"]) == (401, "unauthorized"), query
        assert set(revoked.json()) == {"error"}
