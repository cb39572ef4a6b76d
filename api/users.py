"""Admin user management: GET /api/users, GET/PATCH /api/users/{id}, POST /api/users/{id}/password-reset."""

import lib.startup  # noqa: F401  (first: no garbage collection while this function loads)

from typing import TYPE_CHECKING, Any

from sqlalchemy import ScalarSelect, func, or_, select

from lib.core.errors import Conflict
from lib.core.pagination import matching, page_of
from lib.models.users import User
from lib.rules.ownership import not_found
from lib.schemas.common import Page
from lib.schemas.users import AcceptedOut, UserAdminUpdate, UserCounts, UserDetailOut, UserOut, UserQuery
from lib.web.app import create_app, lambda_handler
from lib.web.endpoints import Call, get, patch, post

if TYPE_CHECKING:
    from lib.models.meetings import Meeting
    from lib.models.orders import Order
    from lib.models.projects import Project
    from lib.models.synopsis import Synopsis

# Late imports below, measured with `python -X importtime` (bench/importtime.py): the list, the admin's
# common request, needs none of them. The four counted models cost ~15 ms of a cold start, the account
# rules and their mail (rate limits, outbox, tokens, templates) ~20 ms more.


def _like(text: str) -> str:
    """`text` as a LIKE pattern matching it anywhere, its own `%`, `_` and `\\` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def list_users(call: Call[None, UserQuery]) -> Page[UserOut]:
    query = call.query
    statement = matching(select(User), User, query, "is_active", "is_admin")
    if query.email_verified is not None:
        verified = User.email_verified_at.is_not(None)
        statement = statement.where(verified if query.email_verified else ~verified)
    if query.q:
        pattern = _like(query.q)
        statement = statement.where(or_(User.email.ilike(pattern), User.full_name.ilike(pattern)))
    return await page_of(call.db, statement, User, UserOut, query)


def _count(
    model: "type[Project | Order | Synopsis | Meeting]", user_id: int, *where: Any
) -> ScalarSelect[int]:
    return select(func.count()).where(model.user_id == user_id, *where).scalar_subquery()


async def get_user(call: Call[None, None]) -> UserDetailOut:
    from lib.models.meetings import Meeting
    from lib.models.orders import Order
    from lib.models.projects import Project
    from lib.models.synopsis import Synopsis

    user_id = call.params["id"]
    statement = select(
        User,
        _count(Project, user_id, Project.deleted_at.is_(None)),
        _count(Order, user_id),
        _count(Synopsis, user_id),
        _count(Meeting, user_id),
    ).where(User.id == user_id)
    row = (await call.db.execute(statement)).first()
    if row is None:
        raise not_found(User, user_id)
    user, projects, orders, synopses, meetings = row
    counts = UserCounts(projects=projects, orders=orders, synopses=synopses, meetings=meetings)
    return UserDetailOut.model_validate({**UserOut.model_validate(user).model_dump(), "counts": counts})


async def update_user(call: Call[UserAdminUpdate, None]) -> UserOut:
    from lib.rules import accounts

    changes = call.body.changes()
    call.report(fields=sorted(changes), **changes)
    user = await accounts.update_by_admin(call.db, call.me, call.params["id"], changes)
    if user is None:
        raise not_found(User, call.params["id"])
    return UserOut.model_validate(user)


async def send_password_reset(call: Call[None, None]) -> AcceptedOut:
    """An admin never sees a password or a token: the user gets the link by mail."""
    from lib.rules import account_mail

    user_id = call.params["id"]
    user = await call.db.get(User, user_id)
    if user is None:
        raise not_found(User, user_id)
    if not user.is_active:
        raise Conflict("This account is deactivated: reactivate it first")
    call.send_after_commit(await account_mail.send_link(call.db, "password_reset", user_id=user_id))
    return AcceptedOut()


ENDPOINTS = [
    get("/api/users", list_users, auth="admin", response=Page[UserOut], summary="List users"),
    get(
        "/api/users/{id:int}",
        get_user,
        auth="admin",
        response=UserDetailOut,
        summary="A user and their counts",
    ),
    patch(
        "/api/users/{id:int}",
        update_user,
        auth="admin",
        response=UserOut,
        entity="user",
        errors=(409, 422),
        summary="Activate, deactivate, promote or demote a user",
    ),
    post(
        "/api/users/{id:int}/password-reset",
        send_password_reset,
        auth="admin",
        response=AcceptedOut,
        status=202,
        entity="user",
        errors=(409,),
        summary="Mail the user a password reset link",
    ),
]

app = create_app(ENDPOINTS)
__getattr__ = lambda_handler(app)  # `handler` for AWS Lambda, built on first use
