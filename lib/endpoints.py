"""A function's route table: `Endpoint` rows (`get`, `post`, `patch`, `delete`) and a handler's `Call`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel
from starlette.requests import Request

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from lib.models.users import User

Auth = Literal["public", "optional", "user", "admin", "cron"]
Handler = Callable[["Call"], Awaitable[Any]]


@dataclass
class Call:
    """What a handler gets: the request, its transaction, the caller, and the parsed input."""

    request: Request
    db: AsyncSession
    user: User | None
    params: dict[str, Any]
    query: Any = None
    body: Any = None
    # Who acted (the caller; login sets it) and what was touched, for the activity row.
    actor_id: int | None = None
    entity_id: Any = None
    details: dict[str, Any] | None = None

    async def insert(self, row: Any) -> Any:
        """Write a new row of the caller's now (ids and defaults filled in) and name it as the entity."""
        self.db.add(row)
        await self.db.flush()
        self.entity_id = row.id
        return row

    @property
    def me(self) -> User:
        """The authenticated caller (only on endpoints that require a user)."""
        assert self.user is not None, "endpoint does not require authentication"
        return self.user


@dataclass(frozen=True)
class Endpoint:
    """One row of a function's route table; also the source of the OpenAPI document."""

    method: str
    path: str
    handler: Handler
    auth: Auth = "user"
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: Any = None
    status: int = 200
    entity: str | None = None
    errors: tuple[int, ...] = field(default=())
    summary: str = ""
    media_type: str = "application/json"
    database: bool = True  # False: the handler needs no transaction (and works without a database)
    # False for a write whose handler issues exactly one writing statement: PostgreSQL makes that
    # statement atomic by itself, so BEGIN/COMMIT (two round trips) would buy nothing.
    transaction: bool = True

    @property
    def action(self) -> str:
        """The activity-log action name: the handler's name (`create_project`, `login`)."""
        return self.handler.__name__

    @property
    def is_write(self) -> bool:
        return self.method in {"POST", "PATCH", "PUT", "DELETE"}


def get(path: str, handler: Handler, **kw: Any) -> Endpoint:
    return Endpoint("GET", path, handler, **kw)


def post(path: str, handler: Handler, **kw: Any) -> Endpoint:
    return Endpoint("POST", path, handler, status=kw.pop("status", 201), **kw)


def patch(path: str, handler: Handler, **kw: Any) -> Endpoint:
    return Endpoint("PATCH", path, handler, **kw)


def delete(path: str, handler: Handler, **kw: Any) -> Endpoint:
    return Endpoint("DELETE", path, handler, status=kw.pop("status", 204), **kw)
