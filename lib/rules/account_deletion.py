"""Deleting an account: anonymised and deactivated, what only the user had deleted, bookkeeping kept."""

from __future__ import annotations

from sqlalchemy import delete, func, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from lib.models.account_tokens import AccountToken
from lib.models.activity_logs import ActivityLog, ActivityLogArchive
from lib.models.chatbot_history import ChatbotMessage, ChatbotMessageArchive
from lib.models.files import File
from lib.models.idea_generation_history import Idea
from lib.models.notifications import Notification
from lib.models.projects import Project
from lib.models.rate_limits import RateLimitHit
from lib.models.users import User
from lib.rules import account_mail
from lib.rules.accounts import ensure_other_admins, revoke_tokens

DELETED_NAME = "Deleted user"


async def delete_account(db: AsyncSession, user: User) -> int | None:
    """Anonymise and deactivate `user`, delete what only they had; the goodbye mail's outbox id.

    Chat messages and ideas are deleted, projects soft-deleted; orders, synopses, meetings, admin
    requests and the activity log stay (bookkeeping) without personal data. The email becomes
    `deleted-<id>@invalid`, so the real address can register again. Uploaded files become
    `deleting`: hidden at once, their objects and rows removed by the file sweep (api/cron/storage.py),
    which keeps a row until storage confirms its object is gone.
    """
    if user.is_admin:
        await ensure_other_admins(db, user.id)
    mail_id = await account_mail.mail_account_deleted(db, user)
    for model in (ChatbotMessage, ChatbotMessageArchive, Idea, AccountToken, Notification):
        await db.execute(delete(model).where(model.user_id == user.id))
    await db.execute(
        update(File)
        .where(File.user_id == user.id, File.status != "deleting")
        .values(status="deleting")
        .execution_options(synchronize_session=False)
    )
    await db.execute(
        update(Project)
        .where(Project.user_id == user.id, Project.deleted_at.is_(None))
        .values(deleted_at=func.now())
        .execution_options(synchronize_session=False)
    )
    for log in (ActivityLog, ActivityLogArchive):
        await db.execute(
            update(log)
            .where(log.user_id == user.id)
            .values(ip_address=None, user_agent=None, details=None)
            .execution_options(synchronize_session=False)
        )
    # Limit buckets name the email: they go too.
    await db.execute(
        delete(RateLimitHit).where(
            or_(
                RateLimitHit.bucket.startswith(f"login:{user.email}:", autoescape=True),
                RateLimitHit.bucket == f"reset:email:{user.email}",
                RateLimitHit.bucket == f"verify:user:{user.id}",
            )
        )
    )
    await revoke_tokens(
        db,
        user.id,
        email=f"deleted-{user.id}@invalid",
        full_name=DELETED_NAME,
        password_hash="!deleted",  # no Argon2 hash: nothing verifies against it
        phone=None,
        college=None,
        department=None,
        graduation_year=None,
        email_notifications=False,
        email_verified_at=None,
        last_login_at=None,
        is_active=False,
        is_admin=False,
    )
    return mail_id
