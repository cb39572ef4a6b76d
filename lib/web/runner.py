"""Running one route row: path ids, authentication, input validation, the unit of work, the activity row."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lib.core import config
from lib.core.errors import NotFound
from lib.core.limits import is_db_id
from lib.core.log import get_logger, redact
from lib.web.endpoints import Call, Endpoint
from lib.web.request_info import request_metadata
from lib.web.responses import json_response, parse_model, read_json

log = get_logger("web")


def _path_params(request: Request) -> dict[str, Any]:
    params = dict(request.path_params)
    for name, value in params.items():
        # An id no row can have is simply not found (and must not overflow bigint in SQL).
        if isinstance(value, int) and not is_db_id(value):
            raise NotFound(f"No {name} {value}")
    return params


def _respond(result: Any, endpoint: Endpoint) -> Response:
    return result if isinstance(result, Response) else json_response(result, endpoint.status)


class _Replay(Exception):
    """The unit of work failed on a stale cached statement before anything was committed."""


async def _unit_of_work(
    endpoint: Endpoint, request: Request, params: dict[str, Any], *, replayable: bool
) -> tuple[Call[Any, Any], Any]:
    """Authenticate, validate and run the handler in one unit of work; the call and what it returned."""
    # Late imports, each measured: SQLAlchemy and the engine (about 370 ms) only for routes that
    # use the database (the docs page never does); token checks (26 ms) only for non-public routes;
    # the activity writer (84 ms, in `route`) only once a write or failure happens, so a read's
    # cold start never pays for it.
    from lib.core.db import replayable_after, session

    keyed = endpoint.idempotent and "idempotency-key" in request.headers
    single_write = endpoint.is_write and not endpoint.transaction and not keyed
    # Reads and single-statement writes run without BEGIN/COMMIT; other writes are one transaction.
    async with session(autocommit=not endpoint.is_write or single_write, single_write=single_write) as db:
        try:
            user = None
            read: tuple[Any, Any, Any] | None = None
            if endpoint.auth != "public":
                if (
                    endpoint.reads is not None
                    and not endpoint.is_write
                    and endpoint.auth in ("user", "admin")
                ):
                    read = await _read_with_caller(db, request, endpoint, params)
                if read is not None:
                    user = read[0]
                else:
                    from lib.web.authentication import authenticate

                    user = await authenticate(db, request, endpoint.auth, write=endpoint.is_write)
            call: Call[Any, Any] = Call(
                request=request,
                db=db,
                user=user,
                params=params,
                body=None,
                query=read[2] if read else None,
                actor_id=user.id if user else None,
                preread=read[1] if read else None,
                preread_done=read is not None,
            )
            request.state.call = call
            if endpoint.query is not None and call.query is None:
                call.query = parse_model(endpoint.query, dict(request.query_params), "query")
            if endpoint.body is not None:
                call.body = parse_model(endpoint.body, await read_json(request), "body")
            if not keyed or user is None:
                return call, await endpoint.handler(call)
            return call, await _run_idempotent(endpoint, call, user.id)
        except Exception as error:
            if replayable and replayable_after(error, db):
                raise _Replay() from error  # out of the session, so it rolls back first
            raise


async def _read_with_caller(
    db: Any, request: Request, endpoint: Endpoint, params: dict[str, Any]
) -> tuple[Any, Any, Any] | None:
    """The caller, what the endpoint `reads`, and the parsed query, from one statement; None: read as
    any other route does (no such statement for this query, or a query the route refuses, whose
    422 then comes after the caller's lookup, as everywhere: a revoked token is a 401 first)."""
    from lib.core.errors import AppError
    from lib.web.authentication import authenticate_reading, bearer_claims

    assert endpoint.reads is not None
    claims = bearer_claims(request)  # no valid token: the 401 every route gives, before anything else
    try:
        query = None
        if endpoint.query is not None:
            query = parse_model(endpoint.query, dict(request.query_params), "query")
        built = endpoint.reads.with_caller(params, query)
    except AppError:
        return None
    if built is None:
        return None
    user, read = await authenticate_reading(db, request, endpoint.auth, claims, endpoint.reads, built)
    return user, read, query


async def _run_idempotent(endpoint: Endpoint, call: Call[Any, Any], user_id: int) -> Response:
    """The handler behind the request's Idempotency-Key: run once, its response stored and replayed."""
    # Late import: only requests that carry the key load it.
    from lib.core.db import RELEASED
    from lib.web import idempotency

    request = call.request
    key = idempotency.requested_key(request)
    assert key is not None
    replay = await idempotency.claim(
        call.db, user_id, key, idempotency.fingerprint(request, await request.body())
    )
    if replay is not None:
        call.recorded = False  # the first request's activity row stands for both
        return replay
    try:
        response = _respond(await endpoint.handler(call), endpoint)
    except Exception:
        if call.db.info.get(RELEASED):
            await idempotency.abandon(user_id, key)  # the claim was committed early: let a retry run
        raise
    await idempotency.complete(call.db, user_id, key, response)
    return response


async def _send_mail(ids: list[int]) -> None:
    """Send what the request queued, after its commit and within the budget; never changes the response."""
    # Late import: only requests that send mail pay for the delivery code (and its backend).
    from lib.mail.delivery import deliver

    try:
        await deliver(ids, budget_seconds=config.get_settings().email_send_budget_seconds)
    except Exception as error:  # the rows stay pending: the cron sends them
        log.warning("mail_after_commit_failed", ids=ids, error=redact(f"{type(error).__name__}: {error}"))


def route(endpoint: Endpoint) -> Route:
    """The Starlette route of one row. Failures propagate to the request context, the one error path."""

    async def run(request: Request) -> Response:
        started = time.perf_counter()
        request.state.endpoint = endpoint
        params = _path_params(request)
        if not endpoint.database:
            no_db: Any = None  # routes with database=False get no unit of work, by design
            bare: Call[Any, Any] = Call(
                request=request, db=no_db, user=None, params=params, body=None, query=None
            )
            return _respond(await endpoint.handler(bare), endpoint)
        # A schema change between requests (a migration while functions are warm) makes a cached
        # statement fail once inside a transaction; nothing was committed, so the work runs again.
        try:
            call, result = await _unit_of_work(endpoint, request, params, replayable=True)
        except _Replay:
            log.info("stale_statement_replayed", action=endpoint.action)
            call, result = await _unit_of_work(endpoint, request, params, replayable=False)
        if endpoint.is_write and call.recorded:
            from lib.core import activity

            # After the commit, on its own: a log row that fails never fails the write.
            await activity.record(
                user_id=call.actor_id,
                action=endpoint.action,
                entity_type=endpoint.entity,
                entity_id=call.entity_id if call.entity_id is not None else params.get("id"),
                details=call.details,
                **request_metadata(request, started),
            )
        if call.mail_ids:
            await _send_mail(call.mail_ids)
        return _respond(result, endpoint)

    run.__name__ = endpoint.handler.__name__
    return Route(endpoint.path, run, methods=[endpoint.method], name=endpoint.handler.__name__)
