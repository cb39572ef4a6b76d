"""A function's route table: `Endpoint` rows (`get`, `post`, `patch`, `delete`) and a handler's `Call`."""

from __future__ import annotations

import importlib
import inspect
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel
from starlette.requests import Request

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlalchemy.ext.asyncio import AsyncSession

    from lib.models.users import User

Auth = Literal["public", "optional", "user", "admin", "cron"]
Method = Literal["GET", "POST", "PATCH", "DELETE"]
BodyT = TypeVar("BodyT", bound=BaseModel | None)
QueryT = TypeVar("QueryT", bound=BaseModel | None)


@dataclass
class Call(Generic[BodyT, QueryT]):
    """What a handler gets: the request, its unit of work, the caller, and the parsed input.

    A handler declares what it reads as `Call[Body, Query]` (`None` for neither); the route row
    takes both models from that annotation, so the types the runner validates against and the
    types the checker sees in the handler are one definition.
    """

    request: Request
    db: AsyncSession
    user: User | None
    params: dict[str, Any]
    body: BodyT
    query: QueryT
    # Who acted and what was touched, for the activity row: set through `report`.
    actor_id: int | None = None
    entity_id: int | str | None = None
    details: dict[str, Any] | None = None
    # Outbox ids to send once the unit of work has committed: set through `send_after_commit`.
    mail_ids: list[int] = field(default_factory=list)
    # False: the request changed nothing (a redelivered webhook, a replay), so no activity row.
    recorded: bool = True
    # What the endpoint's `reads` read with the caller (its row, or None when unseen; its page's
    # rows), once `preread_done`: the handler answers from it instead of reading again.
    preread: Any = None
    preread_done: bool = False

    def send_after_commit(self, message_id: int | None) -> None:
        """Send this outbox message (lib/mail/outbox.enqueue's id) right after the request commits.

        None (a message already queued under its dedup key) is ignored. What cannot be sent within
        EMAIL_SEND_BUDGET_SECONDS stays pending for the retry path; it never fails the request.
        """
        if message_id is not None and message_id not in self.mail_ids:
            self.mail_ids.append(message_id)

    def forget_client(self) -> None:
        """This request's activity row keeps no client IP or user agent (an account deleting itself)."""
        self.request.state.forget_client = True

    def report(
        self,
        *,
        entity_id: int | str | None = None,
        actor_id: int | None = None,
        **details: Any,
    ) -> None:
        """What the activity row of this request says: the entity touched, who acted, and details.

        Details add to what was reported before; ids are set only when given.
        """
        if entity_id is not None:
            self.entity_id = entity_id
        if actor_id is not None:
            self.actor_id = actor_id
        if details:
            self.details = {**(self.details or {}), **details}

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


Handler = Callable[[Call[Any, Any]], Awaitable[Any]]


class CallerRead(Protocol):
    """A read that also looks up the caller (lib/rules/ownership: `OwnedRead`, `VisibleList`)."""

    def with_caller(self, params: dict[str, Any], query: Any) -> tuple[Select[Any], dict[str, Any]] | None:
        """A statement selecting the caller's user columns (by a `user_id` parameter) with what the
        route reads for these path `params` and `query`, and its other values; None: no such read."""
        ...

    def split(self, rows: list[dict[str, Any]]) -> tuple[dict[str, Any] | None, Any]:
        """The statement's rows as the caller's columns (None: no such user) and what was read."""
        ...


def _input_models(handler: Handler) -> tuple[type[BaseModel] | None, type[BaseModel] | None]:
    """The body and query models a handler's `call: Call[Body, Query]` annotation names."""
    annotation = next(iter(inspect.signature(handler).parameters.values())).annotation
    if isinstance(annotation, str):
        # Only this one annotation is evaluated (get_type_hints would also need every name the
        # return type uses, some of which modules import for the checker alone).
        annotation = eval(annotation, handler.__globals__)
    arguments = typing.get_args(annotation)
    if typing.get_origin(annotation) is not Call or len(arguments) != 2:
        raise TypeError(f"{handler.__name__}: annotate its parameter as Call[Body, Query] (None for neither)")
    body, query = (None if model is type(None) else model for model in arguments)
    return body, query


@dataclass(frozen=True)
class Endpoint:
    """One row of a function's route table; also the source of the OpenAPI document."""

    method: Method
    path: str
    handler: Handler
    auth: Auth = "user"
    response: Any = None
    status: int = 200
    entity: str | None = None
    errors: tuple[int, ...] = field(default=())
    summary: str = ""
    media_type: str = "application/json"
    database: bool = True  # False: the handler needs no transaction (and works without a database)
    # False for a write whose handler issues exactly one writing statement: PostgreSQL makes that
    # statement atomic by itself, so BEGIN/COMMIT (two round trips) would buy nothing. The runner
    # fails a request that issues a second write on such a route (the guard in lib/core/db_events.py).
    transaction: bool = True
    # True: an `Idempotency-Key` header makes the request replayable (lib/web/idempotency.py); such
    # a request runs in a transaction whatever `transaction` says (the key is a second write).
    idempotent: bool = False
    # A GET whose read comes with the caller's lookup, in one statement: one round trip.
    reads: CallerRead | None = None
    body: type[BaseModel] | None = field(init=False)
    query: type[BaseModel] | None = field(init=False)

    def __post_init__(self) -> None:
        body, query = _input_models(self.handler)
        object.__setattr__(self, "body", body)
        object.__setattr__(self, "query", query)

    @property
    def response_model(self) -> Any:
        """`response`, with a `"module:Name"` reference imported: a model a function's cold start need
        not load (its OpenAPI document and its handler import it when they run)."""
        if isinstance(self.response, str) and ":" in self.response:
            module, _, name = self.response.partition(":")
            return getattr(importlib.import_module(module), name)
        return self.response

    @property
    def action(self) -> str:
        """The activity-log action name: the handler's name (`create_project`, `login`)."""
        return self.handler.__name__

    @property
    def is_write(self) -> bool:
        return self.method != "GET"


def get(path: str, handler: Handler, **kw: Any) -> Endpoint:
    return Endpoint("GET", path, handler, **kw)


def post(path: str, handler: Handler, **kw: Any) -> Endpoint:
    return Endpoint("POST", path, handler, status=kw.pop("status", 201), **kw)


def patch(path: str, handler: Handler, **kw: Any) -> Endpoint:
    return Endpoint("PATCH", path, handler, **kw)


def delete(path: str, handler: Handler, **kw: Any) -> Endpoint:
    return Endpoint("DELETE", path, handler, status=kw.pop("status", 204), **kw)
