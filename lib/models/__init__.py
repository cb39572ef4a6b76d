"""All tables; importing this package registers every model on `Base.metadata`."""

from lib.models.activity_logs import ActivityLog, ActivityLogArchive
from lib.models.admin_requests import AdminRequest
from lib.models.base import Base
from lib.models.chatbot_history import ChatbotMessage, ChatbotMessageArchive
from lib.models.idea_generation_history import Idea
from lib.models.meetings import Meeting
from lib.models.orders import Order
from lib.models.plans import Plan
from lib.models.projects import Project
from lib.models.rate_limits import RateLimitHit
from lib.models.services import Service
from lib.models.synopsis import Synopsis
from lib.models.user_services import UserService
from lib.models.users import User

__all__ = [
    "ActivityLog",
    "ActivityLogArchive",
    "AdminRequest",
    "Base",
    "ChatbotMessage",
    "ChatbotMessageArchive",
    "Idea",
    "Meeting",
    "Order",
    "Plan",
    "Project",
    "RateLimitHit",
    "Service",
    "Synopsis",
    "User",
    "UserService",
]
