"""The one interface every payment provider meets, its value types, and the choice by PAYMENT_PROVIDER."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from lib.core import config
from lib.core.errors import BadRequest, Conflict, ServiceUnavailable
from lib.models.statuses import PaymentProvider

if TYPE_CHECKING:
    import httpx

# What an event means for its order; anything else is recorded and changes nothing.
EventKind = Literal["paid", "failed", "refunded", "expired", "other"]


@dataclass(frozen=True)
class OrderFacts:
    """What a provider needs of an order to take payment for it."""

    id: int
    amount_cents: int
    currency: str
    description: str


@dataclass(frozen=True)
class Checkout:
    """The provider's order (or session) id, and what the client needs to pay."""

    provider_order_id: str
    client: dict[str, Any]


@dataclass(frozen=True)
class ProviderEvent:
    """One verified webhook event, reduced to what applying it needs."""

    event_id: str
    event_type: str
    kind: EventKind
    provider_order_id: str | None
    provider_payment_id: str | None
    amount_cents: int | None
    currency: str | None
    # Our order id as the provider echoes it (Stripe's client_reference_id, Razorpay's receipt):
    # finds the order when its provider id has since been replaced by a newer checkout.
    order_ref: int | None = None


class BadSignature(BadRequest):
    """A webhook or checkout signature that does not verify (the message never says why)."""

    code, default_message = "bad_signature", "The signature does not match"


class ProviderUnavailable(ServiceUnavailable):
    code, default_message = "payment_provider_unavailable", "The payment provider did not answer; try again"


class PaymentsNotConfigured(Conflict):
    code, default_message = (
        "payments_not_configured",
        "Online payment is not set up: an admin marks orders paid",
    )


class Provider(Protocol):
    name: PaymentProvider

    async def create_checkout(self, order: OrderFacts) -> Checkout: ...

    def reuse_checkout(self, provider_order_id: str, amount_cents: int, currency: str) -> Checkout | None:
        """An earlier checkout's provider order again, where it stays payable; None: make a new one."""
        ...

    def parse_webhook(self, raw: bytes, headers: dict[str, str]) -> ProviderEvent: ...

    async def refund(self, payment_id: str, amount_cents: int) -> None: ...


@asynccontextmanager
async def provider_call(name: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for one provider call under one total deadline; any failure is a 503.

    No database connection is held across it (callers release theirs first): a slow provider
    must not starve the pool. Late import: httpx only where a provider is called.
    """
    import httpx

    seconds = config.get_settings().payment_timeout_seconds
    try:
        async with asyncio.timeout(seconds), httpx.AsyncClient(timeout=seconds) as client:
            yield client
    except (TimeoutError, httpx.HTTPError) as error:
        raise ProviderUnavailable(f"{name} did not answer in time; nothing was changed") from error


def check_answer(name: str, response: httpx.Response) -> dict[str, Any]:
    """The provider's JSON answer; a refusal or a server error is a 503 that repeats none of it."""
    if response.status_code >= 400:
        raise ProviderUnavailable(
            f"{name} refused the request (HTTP {response.status_code}); nothing was changed"
        )
    body: dict[str, Any] = response.json()
    return body


def short_text(value: Any, *, upper: bool = False) -> str | None:
    """A provider's id or code as we store it: a non-empty string of at most 255 characters, else None."""
    if not isinstance(value, str) or not value or len(value) > 255:
        return None
    return value.upper() if upper else value


def order_ref(value: Any) -> int | None:
    """Our order id from what a provider echoes (`"12"`, `"order_12"`); None when it is not one."""
    if not isinstance(value, str):
        return None
    digits = value.removeprefix("order_")
    return int(digits) if digits.isdigit() and len(digits) <= 18 else None


def current() -> Provider | None:
    """The configured provider, or None in `manual` mode."""
    settings = config.get_settings()
    if settings.payment_provider == "razorpay":
        from lib.payments.razorpay import Razorpay

        return Razorpay(settings)
    if settings.payment_provider == "stripe":
        from lib.payments.stripe_checkout import StripeCheckout

        return StripeCheckout(settings)
    return None


def named(name: str) -> Provider:
    """The provider a webhook URL names; only the configured one exists (else 404)."""
    provider = current()
    if provider is None or provider.name != name:
        from lib.core.errors import NotFound

        raise NotFound(f"No payment provider {name!r} is configured")
    return provider
