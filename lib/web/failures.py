"""The one path of a failed request: classify the exception, record its activity row, answer the error."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import Scope

from lib.core.errors import (
    AppError,
    InternalError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    ServiceUnavailable,
)
from lib.core.log import get_logger
from lib.web.request_info import client_ip, request_metadata

log = get_logger("web")

# Activity rows of failures nobody signed in for, per client IP and in all, per minute: enough to
# see an attack in the log, not enough for anonymous traffic to fill the database. Past either the
# row is skipped (the request's structured log line still has it).
ANONYMOUS_ROWS_PER_IP = 30
ANONYMOUS_ROWS_IN_ALL = 600
ANONYMOUS_WINDOW_SECONDS = 60

# Failures no route saw: the activity row names what happened instead of a handler.
_UNROUTED_ACTIONS = {
    NotFound.status: "route_not_found",
    MethodNotAllowed.status: "method_not_allowed",
    PayloadTooLarge.status: "payload_too_large",
}


def classify(error: BaseException, scope: Scope) -> AppError:
    """What the client is told about `error`: itself if it is an AppError, else 404/405, 503 or 500."""
    if isinstance(error, AppError):
        return error
    if isinstance(error, HTTPException):  # raised by the router: no route, or not this method
        if error.status_code == MethodNotAllowed.status:
            return MethodNotAllowed(f"{scope.get('method')} is not allowed on {scope.get('path')}")
        return NotFound(f"No route for {scope.get('method')} {scope.get('path')}")
    # Late: only a failure that is no AppError needs SQLAlchemy's error classes (about 370 ms of
    # import that openapi's cold start never pays).
    from lib.core.db import is_database_unavailable

    if is_database_unavailable(error):
        log.warning("database_unavailable", error=type(error).__name__)
        return ServiceUnavailable()
    log.error("unhandled_error", exc_info=error)
    return InternalError()


async def record_failure(scope: Scope, error: AppError, started: float) -> None:
    """The failed request's activity row, after its unit of work rolled back and before it answers."""
    if isinstance(error, ServiceUnavailable):
        return  # nowhere to write it; the structured log carries it
    from lib.core import activity  # late: 84 ms that a successful read never needs

    request = Request(scope)
    state = scope.get("state", {})
    endpoint, call = state.get("endpoint"), state.get("call")
    if (call is None or call.actor_id is None) and not await _anonymous_row_allowed(request):
        log.info("activity_row_skipped", reason="anonymous_failures_over_budget", status=error.status)
        return
    if endpoint is None:
        await activity.record(
            user_id=None,
            action=_UNROUTED_ACTIONS.get(error.status, "http_error"),
            status="error" if error.status >= 500 else "failed",
            error_message=f"HTTP {error.status}",
            **request_metadata(request, started),
        )
        return
    await activity.record(
        user_id=call.actor_id if call else None,
        action=endpoint.action,
        entity_type=endpoint.entity,
        entity_id=(call.entity_id if call and call.entity_id is not None else request.path_params.get("id")),
        details=call.details if call else None,
        status="error" if error.status >= 500 else "failed",
        error_message=error.message,
        **request_metadata(request, started),
    )


async def _anonymous_row_allowed(request: Request) -> bool:
    """Whether an anonymous failure may still write its row: both budgets counted, exact (ratelimit)."""
    from datetime import timedelta

    from lib.core import ratelimit  # late, with the activity writer: only failures need it

    window = timedelta(seconds=ANONYMOUS_WINDOW_SECONDS)
    try:
        budgets = {
            f"activity-anonymous:ip:{client_ip(request)}": ANONYMOUS_ROWS_PER_IP,
            "activity-anonymous:all": ANONYMOUS_ROWS_IN_ALL,
        }
        await ratelimit.acquire_all(budgets, window=window)
    except RateLimited:
        return False
    except Exception:  # the database failing here fails the row's write too, which logs it
        return True
    return True
