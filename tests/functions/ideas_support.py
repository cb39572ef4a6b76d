"""What the tests/functions/test_ideas*.py files share: categories, the idea's shape, generate, rows."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from lib.core.db import session
from lib.models.idea_generation_history import Idea
from tests.support import Account

CATEGORIES = ["ml", "iot", "web", "mobile", "blockchain", "cloud", "security", "data"]


def provider_idea(title: str, complexity: str | None = "intermediate") -> dict:
    idea = {
        "title": title,
        "description": f"{title}: a detailed description of what it does and for whom.",
        "tech_stack": ["Python", "FastAPI"],
    }
    if complexity:
        idea["complexity"] = complexity
    return idea


async def generate(client: httpx.AsyncClient, account: Account, **payload: object) -> httpx.Response:
    body = {"category": "ml", "interests": ["healthcare"], **payload}
    return await client.post("/api/ideas/generate", json=body, headers=account.headers)


async def stored_ideas(user_id: int | None = None) -> list[Idea]:
    async with session() as db:
        statement = select(Idea).order_by(Idea.id)
        if user_id is not None:
            statement = statement.where(Idea.user_id == user_id)
        return list((await db.scalars(statement)).all())


IDEA_FIELDS = {
    "id",
    "user_id",
    "project_id",
    "parent_id",
    "title",
    "description",
    "category",
    "tech_stack",
    "complexity",
    "user_selected",
    "rating",
    "refinement_count",
    "source",
    "model",
    "created_at",
    "updated_at",
}
