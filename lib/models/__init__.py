"""The tables. Each model lives in its own module and is imported only where it is used.

A function's cold start pays only for the models it touches; `Base.metadata` holds every table
once `load_all()` has run (Alembic, tests). `from lib.models import Project` still works, lazily.
"""

from __future__ import annotations

import importlib
from typing import Any

from lib.models.base import Base

# Model name -> module that defines it.
_MODULES = {
    "AccountToken": "account_tokens",
    "ActivityLog": "activity_logs",
    "ActivityLogArchive": "activity_logs",
    "AdminRequest": "admin_requests",
    "ChatbotMessage": "chatbot_history",
    "ChatbotMessageArchive": "chatbot_history",
    "File": "files",
    "Idea": "idea_generation_history",
    "IdempotencyKey": "idempotency_keys",
    "Meeting": "meetings",
    "Order": "orders",
    "Notification": "notifications",
    "OutboxMessage": "outbox",
    "PaymentEvent": "payment_events",
    "Plan": "plans",
    "Project": "projects",
    "RateLimitHit": "rate_limits",
    "Service": "services",
    "ActivityDay": "stats_rollups",
    "ActivityUserDay": "stats_rollups",
    "ChatbotDay": "stats_rollups",
    "ChatbotResponseDay": "stats_rollups",
    "IdeaDay": "stats_rollups",
    "StatsRolledDay": "stats_rollups",
    "Synopsis": "synopsis",
    "User": "users",
    "UserService": "user_services",
}

__all__ = ["Base", "load_all", *_MODULES]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'lib.models' has no attribute {name!r}")
    return getattr(importlib.import_module(f"lib.models.{module}"), name)


def load_all() -> type[Base]:
    """Import every model so `Base.metadata` describes the whole schema; returns `Base`."""
    for module in sorted(set(_MODULES.values())):
        importlib.import_module(f"lib.models.{module}")
    return Base
