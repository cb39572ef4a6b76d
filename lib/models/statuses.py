"""The allowed values of every status-like column: each a Literal type, its tuple derived from it.

The Literal is what schemas and handlers are checked against; the tuple feeds the CHECK
constraints of the tables (and so the migrations).
"""

from typing import Literal, get_args

ProjectStatus = Literal["draft", "submitted", "in_progress", "completed", "cancelled"]
OrderStatus = Literal["pending", "paid", "in_progress", "completed", "cancelled", "refunded"]
SubscriptionStatus = Literal["active", "completed", "cancelled"]
SynopsisStatus = Literal["draft", "submitted", "under_review", "approved", "rejected"]
MeetingStatus = Literal["requested", "confirmed", "completed", "cancelled"]
AdminRequestStatus = Literal["open", "in_progress", "resolved", "rejected"]
ActivityStatus = Literal["success", "failed", "error"]
MessageType = Literal["user", "bot"]
Complexity = Literal["beginner", "intermediate", "advanced"]
IdeaSource = Literal["provider", "builtin"]
OutboxStatus = Literal["pending", "sent", "failed"]
AccountTokenPurpose = Literal["password_reset", "email_verification"]
PaymentProvider = Literal["razorpay", "stripe"]
# What became of one provider event: it moved the order, did not match it, or had nothing to change.
PaymentOutcome = Literal["applied", "mismatch", "ignored"]
# What a notification tells: the first five reach students, the last four admins.
NotificationKind = Literal[
    "synopsis_reviewed",
    "meeting_confirmed",
    "meeting_cancelled",
    "order_status",
    "admin_request_answered",
    "synopsis_submitted",
    "meeting_requested",
    "admin_request_opened",
    "payment_mismatch",
]
# A file is `deleting` once its owner's account is deleted: hidden everywhere, its object and row
# removed by the daily cron (lib/rules/files.py), so a storage outage never loses the removal.
FileStatus = Literal["pending", "ready", "deleting"]
FilePurpose = Literal["synopsis", "project"]
FileContentType = Literal[
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/zip",
    "image/png",
    "image/jpeg",
]

PROJECT_STATUSES: tuple[ProjectStatus, ...] = get_args(ProjectStatus)
ORDER_STATUSES: tuple[OrderStatus, ...] = get_args(OrderStatus)
USER_SERVICE_STATUSES: tuple[SubscriptionStatus, ...] = get_args(SubscriptionStatus)
SYNOPSIS_STATUSES: tuple[SynopsisStatus, ...] = get_args(SynopsisStatus)
MEETING_STATUSES: tuple[MeetingStatus, ...] = get_args(MeetingStatus)
ADMIN_REQUEST_STATUSES: tuple[AdminRequestStatus, ...] = get_args(AdminRequestStatus)
ACTIVITY_STATUSES: tuple[ActivityStatus, ...] = get_args(ActivityStatus)
MESSAGE_TYPES: tuple[MessageType, ...] = get_args(MessageType)
COMPLEXITIES: tuple[Complexity, ...] = get_args(Complexity)
IDEA_SOURCES: tuple[IdeaSource, ...] = get_args(IdeaSource)
OUTBOX_STATUSES: tuple[OutboxStatus, ...] = get_args(OutboxStatus)
ACCOUNT_TOKEN_PURPOSES: tuple[AccountTokenPurpose, ...] = get_args(AccountTokenPurpose)
PAYMENT_PROVIDERS: tuple[PaymentProvider, ...] = get_args(PaymentProvider)
PAYMENT_OUTCOMES: tuple[PaymentOutcome, ...] = get_args(PaymentOutcome)
NOTIFICATION_KINDS: tuple[NotificationKind, ...] = get_args(NotificationKind)
FILE_STATUSES: tuple[FileStatus, ...] = get_args(FileStatus)
FILE_PURPOSES: tuple[FilePurpose, ...] = get_args(FilePurpose)
FILE_CONTENT_TYPES: tuple[FileContentType, ...] = get_args(FileContentType)
