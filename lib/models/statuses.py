"""The allowed values of every status-like column (one source for models, schemas, checks)."""

PROJECT_STATUSES = ("draft", "submitted", "in_progress", "completed", "cancelled")
ORDER_STATUSES = ("pending", "paid", "in_progress", "completed", "cancelled")
USER_SERVICE_STATUSES = ("active", "completed", "cancelled")
SYNOPSIS_STATUSES = ("draft", "submitted", "under_review", "approved", "rejected")
MEETING_STATUSES = ("requested", "confirmed", "completed", "cancelled")
ADMIN_REQUEST_STATUSES = ("open", "in_progress", "resolved", "rejected")
ACTIVITY_STATUSES = ("success", "failed", "error")
MESSAGE_TYPES = ("user", "bot")
COMPLEXITIES = ("beginner", "intermediate", "advanced")
IDEA_SOURCES = ("provider", "builtin")
