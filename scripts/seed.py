"""Seed the admin (from ADMIN_EMAIL/ADMIN_PASSWORD) and demo plans and services; idempotent."""

from __future__ import annotations

import asyncio
import sys

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from lib.core.config import get_settings
from lib.core.db import dispose_engine, session
from lib.core.passwords import hash_password, needs_rehash, verify_password
from lib.models import Plan, Service, User

DEMO_PLANS = [
    {
        "name": "Starter",
        "description": "Project guidance and one synopsis review.",
        "price_cents": 299900,
        "features": ["Topic selection help", "1 synopsis review", "Email support"],
    },
    {
        "name": "Standard",
        "description": "Guided build with weekly mentor check-ins.",
        "price_cents": 799900,
        "features": ["Everything in Starter", "Weekly mentor meeting", "Code review", "Report template"],
    },
    {
        "name": "Premium",
        "description": "End-to-end mentoring through the final viva.",
        "price_cents": 1499900,
        "features": ["Everything in Standard", "Unlimited reviews", "Viva preparation", "Priority support"],
    },
]
DEMO_SERVICES = [
    {
        "name": "Synopsis Review",
        "description": "Detailed feedback on your synopsis within 48 hours.",
        "price_cents": 49900,
    },
    {
        "name": "Code Review",
        "description": "A mentor reviews your repository and suggests fixes.",
        "price_cents": 99900,
    },
    {"name": "Mentor Session", "description": "A one-hour call with a domain mentor.", "price_cents": 79900},
    {
        "name": "Report Writing Help",
        "description": "Structure and proofreading of the final report.",
        "price_cents": 149900,
    },
]


async def seed_admin(email: str, password: str) -> str:
    async with session() as db:
        user = await db.scalar(select(User).where(func.lower(User.email) == email.lower()))
        if user is None:
            db.add(
                User(
                    email=email.lower(),
                    password_hash=hash_password(password),
                    full_name="Administrator",
                    is_admin=True,
                    email_verified_at=func.now(),  # ADMIN_EMAIL is the operator's own address
                )
            )
            return "created"
        user.is_admin = True
        user.is_active = True
        if user.email_verified_at is None:
            user.email_verified_at = func.now()
        if not verify_password(user.password_hash, password) or needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        return "updated"


async def seed_catalogue() -> None:
    async with session() as db:
        for model, rows in ((Plan, DEMO_PLANS), (Service, DEMO_SERVICES)):
            for row in rows:
                statement = insert(model).values(**row, currency="INR")
                await db.execute(statement.on_conflict_do_nothing(index_elements=["name"]))


async def main() -> int:
    settings = get_settings()
    try:
        if settings.admin_email and settings.admin_password:
            outcome = await seed_admin(settings.admin_email, settings.admin_password)
            print(f"admin {settings.admin_email}: {outcome}")
        else:
            print("ADMIN_EMAIL/ADMIN_PASSWORD not set: no admin seeded")
        await seed_catalogue()
        print(f"catalogue: {len(DEMO_PLANS)} plans, {len(DEMO_SERVICES)} services present")
    finally:
        await dispose_engine()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
