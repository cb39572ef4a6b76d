"""The errors a client can be shown: one class per HTTP status, each with a stable code."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """An error a client should see: HTTP status, stable code, human message."""

    status = 500
    code = "internal_error"
    default_message = "Internal server error"

    def __init__(
        self,
        message: str | None = None,
        *,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.details = details
        self.headers = headers or {}
        super().__init__(self.message)


class BadRequest(AppError):
    status, code, default_message = 400, "bad_request", "Bad request"


class InvalidToken(AppError):
    """A reset or verification link that is unknown, already used, expired or replaced by a newer one."""

    status, code, default_message = 400, "invalid_token", "This link is invalid or has expired"


class Unauthorized(AppError):
    status, code, default_message = 401, "unauthorized", "Authentication required"

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.headers.setdefault("WWW-Authenticate", "Bearer")


class Forbidden(AppError):
    status, code, default_message = 403, "forbidden", "You are not allowed to do this"


class EmailNotVerified(AppError):
    """A write by an account whose email is unverified, while REQUIRE_VERIFIED_EMAIL is on."""

    status, code, default_message = 403, "email_not_verified", "Confirm your email address first"


class NotFound(AppError):
    status, code, default_message = 404, "not_found", "Not found"


class MethodNotAllowed(AppError):
    status, code, default_message = 405, "method_not_allowed", "Method not allowed"


class Conflict(AppError):
    status, code, default_message = 409, "conflict", "Conflict"


class PayloadTooLarge(AppError):
    status, code, default_message = 413, "payload_too_large", "Request body is larger than 1 MiB"


class ValidationFailed(AppError):
    status, code, default_message = 422, "validation_error", "Request validation failed"


def field_error(loc: list[str | int], message: str) -> ValidationFailed:
    """A 422 naming one field, for checks a schema cannot express (ranges across fields, cursors)."""
    return ValidationFailed(details=[{"loc": loc, "msg": message, "type": "value_error"}])


class RateLimited(AppError):
    status, code, default_message = 429, "rate_limited", "Too many requests"

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = max(1, retry_after)


class ServiceUnavailable(AppError):
    status, code, default_message = 503, "service_unavailable", "The database is unavailable"

    def __init__(self, message: str | None = None, retry_after: int = 5) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})


class InternalError(AppError):
    """Anything unexpected: the body never carries a trace, SQL or secret."""
