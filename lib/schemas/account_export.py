"""The account export: one document with everything stored about the caller."""

from __future__ import annotations

from datetime import datetime

from lib.schemas.activity import ActivityOut
from lib.schemas.admin_requests import AdminRequestOut
from lib.schemas.chatbot import ChatMessageOut
from lib.schemas.common import Output
from lib.schemas.files import FileOut
from lib.schemas.ideas import IdeaOut
from lib.schemas.meetings import MeetingOut
from lib.schemas.notifications import NotificationOut
from lib.schemas.orders import OrderOut
from lib.schemas.projects import ProjectOut
from lib.schemas.services import UserServiceOut
from lib.schemas.synopsis import SynopsisOut
from lib.schemas.users import UserOut


class ExportedProject(ProjectOut):
    """A project as exported: deleted ones too, with when they were deleted."""

    deleted_at: datetime | None


class AccountExportOut(Output):
    exported_at: datetime
    user: UserOut
    projects: list[ExportedProject]
    orders: list[OrderOut]
    subscriptions: list[UserServiceOut]
    synopses: list[SynopsisOut]
    meetings: list[MeetingOut]
    admin_requests: list[AdminRequestOut]
    chat_messages: list[ChatMessageOut]
    ideas: list[IdeaOut]
    files: list[FileOut]
    notifications: list[NotificationOut]
    activity: list[ActivityOut]
