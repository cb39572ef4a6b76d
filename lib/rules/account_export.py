"""GET /api/auth/me/export: every row stored about one user, oldest first, in one document."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lib.models.activity_logs import ActivityLog
from lib.models.admin_requests import AdminRequest
from lib.models.chatbot_history import ChatbotMessage, ChatbotMessageArchive
from lib.models.files import File
from lib.models.idea_generation_history import Idea
from lib.models.meetings import Meeting
from lib.models.notifications import Notification
from lib.models.orders import Order
from lib.models.projects import Project
from lib.models.synopsis import Synopsis
from lib.models.user_services import UserService
from lib.models.users import User
from lib.schemas.account_export import AccountExportOut, ExportedProject
from lib.schemas.activity import ActivityOut
from lib.schemas.admin_requests import AdminRequestOut
from lib.schemas.chatbot import ChatMessageOut
from lib.schemas.files import FileOut
from lib.schemas.ideas import IdeaOut
from lib.schemas.meetings import MeetingOut
from lib.schemas.notifications import NotificationOut
from lib.schemas.orders import OrderOut
from lib.schemas.services import UserServiceOut
from lib.schemas.synopsis import SynopsisOut
from lib.schemas.users import UserOut

# The activity log kept live (ACTIVITY_RETENTION_DAYS' default); older rows are archived bookkeeping.
ACTIVITY_DAYS = 90


async def _rows(db: AsyncSession, model: Any, out: type[BaseModel], user_id: int, *where: Any) -> list[Any]:
    statement = select(model).where(model.user_id == user_id, *where).order_by(model.created_at, model.id)
    return [out.model_validate(row) for row in await db.scalars(statement)]


async def export(db: AsyncSession, user: User) -> AccountExportOut:
    uid = user.id
    now = datetime.now(UTC)
    chat = await _rows(db, ChatbotMessageArchive, ChatMessageOut, uid)
    chat += await _rows(db, ChatbotMessage, ChatMessageOut, uid)
    return AccountExportOut(
        exported_at=now,
        user=UserOut.model_validate(user),
        projects=await _rows(db, Project, ExportedProject, uid),
        orders=await _rows(db, Order, OrderOut, uid),
        subscriptions=await _rows(db, UserService, UserServiceOut, uid),
        synopses=await _rows(db, Synopsis, SynopsisOut, uid),
        meetings=await _rows(db, Meeting, MeetingOut, uid),
        admin_requests=await _rows(db, AdminRequest, AdminRequestOut, uid),
        chat_messages=chat,
        ideas=await _rows(db, Idea, IdeaOut, uid),
        files=await _rows(
            db, File, FileOut, uid, File.status != "deleting"
        ),  # the rows; bytes by GET /api/files/{id}
        notifications=await _rows(db, Notification, NotificationOut, uid),
        activity=await _rows(
            db, ActivityLog, ActivityOut, uid, ActivityLog.created_at >= now - timedelta(days=ACTIVITY_DAYS)
        ),
    )
