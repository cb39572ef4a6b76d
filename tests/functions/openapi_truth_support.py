"""Reading the OpenAPI document, and the server's resources made through the API, for the truth tests."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update

from lib.core.db import session
from lib.models.orders import Order
from lib.models.statuses import AccountTokenPurpose
from lib.rules import account_tokens
from tests.functions.payments_support import RAZORPAY_KEY_SECRET, hex_hmac
from tests.support import DEFAULT_PASSWORD, Account, create_account

CRON = {"Authorization": "Bearer test-cron-secret-value"}
TRUTH_RAZORPAY_ORDER = "order_RZPtruth0001"
TRUTH_RAZORPAY_PAYMENT = "pay_RZPtruth0001"


_serial = itertools.count(1)


# --- reading the document ---------------------------------------------------------------------------


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def accepts_null(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    """Whether `schema` lets `null` through (a `null` branch, type or const, or no constraint at all)."""
    schema = resolve(document, schema)
    if not schema:
        return True
    branches = schema.get("anyOf", []) + schema.get("oneOf", [])
    if branches:
        return any(accepts_null(document, branch) for branch in branches)
    kind = schema.get("type")
    return kind == "null" or (isinstance(kind, list) and "null" in kind) or schema.get("const", 0) is None


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            yield method.upper(), path, op


def request_schema(document: dict[str, Any], method: str, path: str) -> tuple[str, dict[str, Any]]:
    ref = document["paths"][path][method.lower()]["requestBody"]["content"]["application/json"]["schema"]
    return ref["$ref"].rsplit("/", 1)[1], resolve(document, ref)


def success_schema(op: dict[str, Any]) -> dict[str, Any] | None:
    """The schema of an operation's 2xx JSON response when it names a component (a model)."""
    status = next(code for code in op["responses"] if code.startswith("2"))
    schema = op["responses"][status].get("content", {}).get("application/json", {}).get("schema", {})
    return schema if "$ref" in schema else None


def referenced(document: dict[str, Any], schema: Any) -> Iterator[str]:
    """The component names `schema` refers to, transitively."""
    seen: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "$ref" in node:
                name = node["$ref"].rsplit("/", 1)[1]
                if name not in seen:
                    seen.add(name)
                    yield name
                    stack.append(document["components"]["schemas"][name])
            stack.extend(value for key, value in node.items() if key != "$ref")
        elif isinstance(node, list):
            stack.extend(node)


def response_components(document: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for _, _, op in operations(document):
        if (schema := success_schema(op)) is not None:
            names.update(referenced(document, schema))
    return names


# --- the server's resources, made through the API ----------------------------------------------------


def soon() -> str:
    return (datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)).isoformat()


class World:
    """Alice, an admin and the rows a request needs, made through the API; every 2xx response kept."""

    def __init__(self, client: httpx.AsyncClient, alice: Account, admin: Account) -> None:
        self.client, self.alice, self.admin = client, alice, admin
        self.seen: dict[tuple[str, str], list[httpx.Response]] = {}

    async def call(
        self,
        method: str,
        template: str,
        account: Account | None,
        *,
        json: Any = None,
        content: bytes | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        expect: int | None = None,
        **ids: Any,
    ) -> httpx.Response:
        response = await self.client.request(
            method,
            template.format(**ids),
            json=json,
            content=content,
            params=params,
            headers=headers if headers is not None else (account.headers if account else {}),
        )
        if response.is_success:
            self.seen.setdefault((method, template), []).append(response)
        if expect is not None:
            assert response.status_code == expect, f"{method} {template}: {response.text}"
        return response

    async def _id(self, template: str, account: Account, body: dict[str, Any]) -> int:
        response = await self.call("POST", template, account, json=body, expect=201)
        return int(response.json()["id"])

    async def project(self) -> int:
        return await self._id("/api/projects", self.alice, {"title": "Smart farm", "category": "iot"})

    async def plan(self) -> int:
        body = {"name": f"Plan {next(_serial)}", "price_cents": 49_900}
        return await self._id("/api/plans", self.admin, body)

    async def service(self) -> int:
        body = {"name": f"Service {next(_serial)}", "price_cents": 1_000}
        return await self._id("/api/services", self.admin, body)

    async def idea(self) -> int:
        body = {"category": "iot", "interests": ["farming"], "count": 1}
        response = await self.call("POST", "/api/ideas/generate", self.alice, json=body, expect=201)
        return int(response.json()["ideas"][0]["id"])

    async def meeting(self) -> int:
        body = {"scheduled_at": soon(), "duration_minutes": 30, "agenda": "Review my synopsis"}
        return await self._id("/api/meetings", self.alice, body)

    async def admin_request(self) -> int:
        body = {"request_type": "deadline", "message": "Please extend my deadline"}
        return await self._id("/api/admin-requests", self.alice, body)

    async def synopsis(self) -> int:
        body = {"project_id": await self.project(), "title": "Farm", "abstract": "Sensors and a dashboard"}
        return await self._id("/api/synopsis", self.alice, body)

    async def order(self) -> int:
        return await self._id("/api/orders", self.alice, {"plan_id": await self.plan()})

    async def alice_id(self) -> int:
        return self.alice.id

    async def provider_name(self) -> str:
        return "razorpay"

    async def paid_order(self) -> int:
        """One of Alice's orders, marked paid by hand (a manual payment: refundable without a provider)."""
        order_id = await self.order()
        await self.call(
            "PATCH", "/api/orders/{id}", self.admin, json={"status": "paid"}, id=order_id, expect=200
        )
        return order_id

    async def uploaded_file(self) -> int:
        """A file of Alice's whose PDF is in storage (through its presigned PUT), not yet completed."""
        from tests.functions.files_support import put, real_pdf

        pdf = real_pdf()
        body = {
            "purpose": "synopsis",
            "entity_id": await self.synopsis(),
            "filename": "synopsis.pdf",
            "content_type": "application/pdf",
            "size_bytes": len(pdf),
        }
        created = (await self.call("POST", "/api/files", self.alice, json=body, expect=201)).json()
        assert (await put(created["upload"], pdf)).status_code == 200
        return int(created["file"]["id"])

    async def razorpay_order(self) -> str:
        """The Razorpay order id of one of Alice's orders, as checkout would have left it (made once)."""
        if not hasattr(self, "_razorpay_order"):
            order_id = await self.order()
            async with session() as db:
                await db.execute(
                    update(Order)
                    .where(Order.id == order_id)
                    .values(payment_provider="razorpay", provider_order_id=TRUTH_RAZORPAY_ORDER)
                )
            self._razorpay_order = TRUTH_RAZORPAY_ORDER
        return self._razorpay_order

    async def razorpay_signature(self) -> str:
        await self.razorpay_order()
        message = f"{TRUTH_RAZORPAY_ORDER}|{TRUTH_RAZORPAY_PAYMENT}".encode()
        return hex_hmac(RAZORPAY_KEY_SECRET, message)

    async def fresh_user(self) -> Account:
        """A new account (password DEFAULT_PASSWORD), for requests that revoke or delete their caller."""
        return await create_account(f"fresh{next(_serial)}@example.com", "Fresh")

    async def link_token(self, purpose: AccountTokenPurpose) -> str:
        """A live reset or verification link's token for Alice, as her mail would carry it."""
        async with session() as db:
            issued = await account_tokens.issue(db, purpose, user_id=self.alice.id)
        assert issued is not None
        return issued.token

    async def reset_token(self) -> str:
        return await self.link_token("password_reset")

    async def verification_token(self) -> str:
        return await self.link_token("email_verification")


Maker = Callable[[World], Awaitable[Any]]

# Every operation with a request body: who sends it and the ids its path needs (made afresh per request).
# ("fresh": a new account per request, for bodies whose success revokes or deletes the caller.)
TARGETS: dict[tuple[str, str], tuple[str | None, dict[str, Maker]]] = {
    ("POST", "/api/admin-requests"): ("alice", {}),
    ("PATCH", "/api/admin-requests/{id}"): ("alice", {"id": World.admin_request}),
    ("POST", "/api/auth/login"): (None, {}),
    ("POST", "/api/auth/register"): (None, {}),
    ("PATCH", "/api/auth/me"): ("alice", {}),
    ("DELETE", "/api/auth/me"): ("fresh", {}),
    ("POST", "/api/auth/change-password"): ("fresh", {}),
    ("POST", "/api/auth/password-reset"): (None, {}),
    ("POST", "/api/auth/password-reset/confirm"): (None, {}),
    ("POST", "/api/auth/verify-email"): (None, {}),
    ("PATCH", "/api/users/{id}"): ("admin", {"id": World.alice_id}),
    ("POST", "/api/chatbot"): ("alice", {}),
    ("POST", "/api/ideas/generate"): ("alice", {}),
    ("PATCH", "/api/ideas/{id}"): ("alice", {"id": World.idea}),
    ("POST", "/api/ideas/{id}/refine"): ("alice", {"id": World.idea}),
    ("POST", "/api/meetings"): ("alice", {}),
    ("POST", "/api/notifications/read"): ("alice", {}),
    ("POST", "/api/payments/razorpay/verify"): ("alice", {}),
    ("PATCH", "/api/meetings/{id}"): ("alice", {"id": World.meeting}),
    ("POST", "/api/orders"): ("alice", {}),
    ("PATCH", "/api/orders/{id}"): ("admin", {"id": World.order}),
    ("POST", "/api/plans"): ("admin", {}),
    ("PATCH", "/api/plans/{id}"): ("admin", {"id": World.plan}),
    ("POST", "/api/projects"): ("alice", {}),
    ("PATCH", "/api/projects/{id}"): ("alice", {"id": World.project}),
    ("POST", "/api/services"): ("admin", {}),
    ("PATCH", "/api/services/{id}"): ("admin", {"id": World.service}),
    ("POST", "/api/services/{id}/subscribe"): ("alice", {"id": World.service}),
    ("POST", "/api/synopsis"): ("alice", {}),
    ("POST", "/api/files"): ("alice", {}),
    ("PATCH", "/api/synopsis/{id}"): ("alice", {"id": World.synopsis}),
}


async def _fresh_email(world: World) -> str:
    return f"user{next(_serial)}@example.com"


async def _fresh_name(world: World) -> str:
    return f"Name {next(_serial)}"


async def _future(world: World) -> str:
    return soon()


# A valid value of every *required* field of every request schema (the minimal body is built from the
# schema's `required` list: a field it newly requires fails the test until it has a sample here).
REQUIRED_SAMPLES: dict[str, dict[str, Any]] = {
    "AdminRequestCreate": {"request_type": "deadline", "message": "Please extend my deadline"},
    "ChangePasswordIn": {"current_password": DEFAULT_PASSWORD, "new_password": "a brand new passphrase"},
    "DeleteAccountIn": {"password": DEFAULT_PASSWORD},
    "MarkReadIn": {"ids": [1]},
    "RazorpayVerifyIn": {
        "razorpay_order_id": World.razorpay_order,
        "razorpay_payment_id": TRUTH_RAZORPAY_PAYMENT,
        "razorpay_signature": World.razorpay_signature,
    },  # an id of nobody's, or of someone else's: ignored either way
    "PasswordResetConfirmIn": {"token": World.reset_token, "password": "a brand new passphrase"},
    "PasswordResetIn": {"email": "alice@example.com"},
    "VerifyEmailIn": {"token": World.verification_token},
    "ChatIn": {"message": "Hello!"},
    "IdeaGenerateIn": {"category": "iot", "interests": ["farming"]},
    "IdeaRefineIn": {"instructions": "Make it cheaper"},
    "LoginIn": {"email": "alice@example.com", "password": DEFAULT_PASSWORD},
    "MeetingCreate": {"scheduled_at": _future, "duration_minutes": 30, "agenda": "Review my synopsis"},
    "OrderCreate": {"plan_id": World.plan},
    "OrderStatusUpdate": {"status": "paid"},
    "PlanCreate": {"name": _fresh_name, "price_cents": 49_900},
    "ProjectCreate": {"title": "Smart farm", "category": "iot"},
    "RegisterIn": {"email": _fresh_email, "password": DEFAULT_PASSWORD, "full_name": "Carol"},
    "ServiceCreate": {"name": _fresh_name, "price_cents": 1_000},
    "SynopsisCreate": {"project_id": World.project, "title": "Farm", "abstract": "Sensors and a dashboard"},
    "FileCreate": {
        "purpose": "project",
        "entity_id": World.project,
        "filename": "report.pdf",
        "content_type": "application/pdf",
        "size_bytes": 1000,
    },
}


async def _value(world: World, sample: Any) -> Any:
    return await sample(world) if callable(sample) else sample


def required_fields(schema: dict[str, Any]) -> list[str]:
    """What a body must hold: `required`, plus the first branch's when the schema is a `oneOf`."""
    branches = schema.get("oneOf") or [{}]
    return [*schema.get("required", []), *branches[0].get("required", [])]


async def minimal_body(world: World, name: str, schema: dict[str, Any]) -> dict[str, Any]:
    samples = REQUIRED_SAMPLES.get(name, {})
    missing = set(required_fields(schema)) - set(samples)
    assert not missing, f"{name}: add a sample value for required {sorted(missing)}"
    return {field: await _value(world, samples[field]) for field in required_fields(schema)}


async def send(world: World, method: str, path: str, body: dict[str, Any]) -> httpx.Response:
    caller, makers = TARGETS[(method, path)]
    if caller == "fresh":
        account: Account | None = await world.fresh_user()
    else:
        account = {"alice": world.alice, "admin": world.admin, None: None}[caller]
    ids = {name: await make(world) for name, make in makers.items()}
    return await world.call(method, path, account, json=body, **ids)


def refusals_of(response: httpx.Response, key: str) -> list[dict[str, Any]]:
    """The 422 details naming body field `key` (the only change from an accepted body: its null)."""
    if response.status_code != 422:
        return []
    details = response.json()["error"]["details"] or []
    return [item for item in details if item.get("loc") == ["body", key]]
