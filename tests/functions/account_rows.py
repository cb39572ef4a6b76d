"""One of every row a user can have, made straight in the database (the deletion and export tests)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from lib.core.db import session
from lib.models import (
    ActivityLog,
    AdminRequest,
    ChatbotMessage,
    ChatbotMessageArchive,
    File,
    Idea,
    Meeting,
    Notification,
    Order,
    Plan,
    Project,
    Service,
    Synopsis,
    UserService,
)

OWNED = (
    Project,
    Order,
    UserService,
    Synopsis,
    Meeting,
    AdminRequest,
    ChatbotMessage,
    ChatbotMessageArchive,
    Idea,
    Notification,
    ActivityLog,
)


async def catalogue() -> tuple[int, int]:
    """A plan and a service; their ids."""
    async with session() as db:
        plan, service = Plan(name="Basic", price_cents=1000), Service(name="Review", price_cents=500)
        db.add_all([plan, service])
        await db.flush()
        return plan.id, service.id


async def rows_of(user_id: int, plan_id: int, service_id: int, tag: str) -> dict[str, int]:
    """One row of each kind for `user_id` (texts carry `tag`), plus a deleted project; their ids."""
    now = datetime.now(UTC)
    async with session() as db:
        project = Project(user_id=user_id, title=f"{tag} project", category="web")
        gone = Project(user_id=user_id, title=f"{tag} old project", category="web", deleted_at=now)
        db.add_all([project, gone])
        await db.flush()
        session_id = uuid.uuid4()
        rows: dict[str, Any] = {
            "order": Order(user_id=user_id, plan_id=plan_id, amount_cents=1000, currency="INR"),
            "subscription": UserService(user_id=user_id, service_id=service_id),
            "synopsis": Synopsis(user_id=user_id, project_id=project.id, title=f"{tag} S", abstract="A"),
            "meeting": Meeting(
                user_id=user_id,
                scheduled_at=now + timedelta(days=3),
                duration_minutes=30,
                agenda=f"{tag} agenda",
            ),
            "admin_request": AdminRequest(user_id=user_id, request_type="billing", message=f"{tag} help"),
            "chat": ChatbotMessage(
                user_id=user_id, session_id=session_id, message_type="user", message=f"{tag} hi"
            ),
            "idea": Idea(
                user_id=user_id, title=f"{tag} idea", description="D", category="ml", source="builtin"
            ),
            "activity": ActivityLog(
                user_id=user_id,
                action="create_project",
                ip_address="198.51.100.23",
                user_agent="Mozilla/5.0 (tag)",
                details={"email": f"{tag}@example.com"},
            ),
            "notification": Notification(
                user_id=user_id,
                kind="order_status",
                title=f"{tag} order paid",
                body="B",
                entity_type="order",
                entity_id=1,
            ),
            "old_activity": ActivityLog(
                user_id=user_id, action="login", created_at=now - timedelta(days=100)
            ),
        }
        db.add_all(rows.values())
        await db.flush()
        rows["file"] = File(
            user_id=user_id,
            purpose="synopsis",
            entity_id=rows["synopsis"].id,
            filename=f"{tag}.pdf",
            content_type="application/pdf",
            size_bytes=1000,
            storage_key=f"synopsis/{user_id}/{uuid.uuid4().hex}.pdf",
        )
        db.add(rows["file"])
        db.add(
            ChatbotMessageArchive(
                id=10_000 + user_id,
                user_id=user_id,
                session_id=session_id,
                message_type="bot",
                message=f"{tag} archived",
                created_at=now - timedelta(days=400),
            )
        )
        await db.flush()
        return {name: row.id for name, row in rows.items()} | {
            "project": project.id,
            "deleted_project": gone.id,
            "archived_chat": 10_000 + user_id,
        }


async def counts(user_id: int) -> dict[str, int]:
    """How many rows of each owned kind `user_id` has."""
    async with session() as db:
        return {
            model.__tablename__: int(
                await db.scalar(select(func.count()).select_from(model).where(model.user_id == user_id)) or 0
            )
            for model in OWNED
        }
