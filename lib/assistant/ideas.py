"""Project ideas: the provider's, validated and topped up from the built-in catalogue; stored."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lib.assistant.idea_compose import MAX_STACK, MAX_TITLE, builtin_ideas
from lib.assistant.idea_refine import refine_builtin
from lib.assistant.provider import BUILTIN, PROVIDER, ProviderConfig, complete, provider_config
from lib.core.limits import without_nul
from lib.core.log import get_logger
from lib.core.ratelimit import Budget
from lib.models.idea_generation_history import Idea
from lib.models.statuses import COMPLEXITIES, Complexity, IdeaSource

log = get_logger("ideas")

RECENT_TITLES = 200
# Every request for ideas spends it, whichever route asks (generate, refine, the chatbot): each may be
# a paid provider call, so a user out of it gets a 429 everywhere, not ideas through another door.
IDEA_BUDGET = Budget("ideas", limit=20, window=timedelta(hours=1))


@dataclass(frozen=True)
class GeneratedIdea:
    title: str
    description: str
    tech_stack: list[str]
    complexity: str
    source: IdeaSource
    model: str | None


class ProviderIdea(BaseModel):
    """One idea as a provider must return it; anything else is dropped."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    title: str = Field(min_length=3, max_length=MAX_TITLE)
    description: str = Field(min_length=10, max_length=5000)
    tech_stack: list[
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
    ] = Field(default_factory=list, max_length=MAX_STACK)
    complexity: Complexity | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _clean(cls, value: Any) -> Any:
        return without_nul(value)  # PostgreSQL text cannot hold NUL

    @field_validator("complexity", mode="before")
    @classmethod
    def _lenient_level(cls, value: Any) -> Any:
        # A level we do not know is no reason to lose the idea; the request's level applies instead.
        level = value.strip().lower() if isinstance(value, str) else None
        return level if level in COMPLEXITIES else None


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)


def _json_payload(content: str) -> Any:
    """The JSON a provider reply carries, tolerating code fences and prose around it; None if none."""
    text = match.group(1) if (match := _FENCE.search(content)) else content
    candidates = [text.strip()]
    for opening, closing in (("[", "]"), ("{", "}")):
        start, end = text.find(opening), text.rfind(closing)
        if 0 <= start < end:
            candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except ValueError:
            continue
    return None


def parse_provider_ideas(content: str | None) -> list[ProviderIdea]:
    """Every well-formed idea in a provider reply (an array, `{"ideas": [...]}` or one object)."""
    payload = _json_payload(content) if content else None
    if isinstance(payload, dict):
        payload = payload["ideas"] if isinstance(payload.get("ideas"), list) else [payload]
    if not isinstance(payload, list):
        return []
    ideas = []
    for entry in payload:
        try:
            ideas.append(ProviderIdea.model_validate(entry))
        except ValidationError:
            continue
    return ideas


IDEAS_SYSTEM = (
    "You suggest final-year student project ideas. Answer with JSON only, no prose and no markdown: "
    'an array of objects {"title": string (at most 120 characters), "description": string '
    '(2-4 sentences: what it does, for whom, what makes it interesting), "tech_stack": array of 3-8 '
    'technology names, "complexity": "beginner" | "intermediate" | "advanced"}. Titles must be distinct '
    "and specific."
)


def ideas_prompt(category: str, interests: list[str], complexity: str | None, count: int) -> str:
    """The request as words: sent to the provider and stored with each idea."""
    return (
        f"Category: {category}\nInterests: {', '.join(interests)}\n"
        f"Complexity: {complexity or 'any (mix levels)'}\nNumber of ideas: {count}"
    )


async def _provider_ideas(
    provider: ProviderConfig,
    category: str,
    interests: list[str],
    complexity: str | None,
    count: int,
    avoid_titles: list[str],
    db: AsyncSession | None,
) -> list[GeneratedIdea]:
    prompt = ideas_prompt(category, interests, complexity, count)
    if avoid_titles:
        prompt += "\nDo not repeat these titles: " + "; ".join(avoid_titles[:30])
    content = await complete(
        provider, [{"role": "system", "content": IDEAS_SYSTEM}, {"role": "user", "content": prompt}], db
    )
    taken = {title.casefold() for title in avoid_titles}
    ideas: list[GeneratedIdea] = []
    for entry in parse_provider_ideas(content):
        if entry.title.casefold() in taken:
            continue
        taken.add(entry.title.casefold())
        level = entry.complexity or complexity or "intermediate"
        ideas.append(
            GeneratedIdea(entry.title, entry.description, entry.tech_stack, level, PROVIDER, provider.model)
        )
        if len(ideas) == count:
            break
    return ideas


def _builtin(
    category: str, interests: list[str], complexity: str | None, count: int, avoid: list[str]
) -> list[GeneratedIdea]:
    return [
        GeneratedIdea(idea.title, idea.description, idea.tech_stack, idea.complexity, BUILTIN, None)
        for idea in builtin_ideas(category, interests, complexity, count, avoid)
    ]


async def generate_ideas(
    category: str,
    interests: list[str],
    complexity: str | None,
    count: int,
    avoid_titles: list[str],
    db: AsyncSession | None = None,
) -> list[GeneratedIdea]:
    """`count` distinct ideas: the provider's valid ones first, topped up from the built-in catalogue."""
    provider = provider_config()
    ideas = (
        await _provider_ideas(provider, category, interests, complexity, count, avoid_titles, db)
        if provider
        else []
    )
    if len(ideas) < count:
        avoid = [*avoid_titles, *(idea.title for idea in ideas)]
        ideas += _builtin(category, interests, complexity, count - len(ideas), avoid)
    return ideas


REFINE_SYSTEM = (
    "You refine a student project idea following the student's instructions. Answer with JSON only: one "
    'object {"title", "description", "tech_stack", "complexity"} with the same meaning as the original.'
)


async def refine_idea(parent: Idea, instructions: str, db: AsyncSession | None = None) -> GeneratedIdea:
    """A refined version of `parent`: the provider's if it answers well, else a built-in refinement."""
    provider = provider_config()
    if provider is not None:
        original = {
            "title": parent.title,
            "description": parent.description,
            "tech_stack": parent.tech_stack,
            "complexity": parent.complexity,
        }
        content = await complete(
            provider,
            [
                {"role": "system", "content": REFINE_SYSTEM},
                {"role": "user", "content": f"Idea: {json.dumps(original)}\nInstructions: {instructions}"},
            ],
            db,
        )
        if entries := parse_provider_ideas(content):
            entry = entries[0]
            return GeneratedIdea(
                entry.title,
                entry.description,
                entry.tech_stack or list(parent.tech_stack),
                entry.complexity or parent.complexity,
                PROVIDER,
                provider.model,
            )
    refined = refine_builtin(
        parent.title,
        parent.description,
        [str(item) for item in parent.tech_stack],
        parent.complexity,
        instructions,
        parent.refinement_count + 1,
    )
    return GeneratedIdea(
        refined.title, refined.description, refined.tech_stack, refined.complexity, BUILTIN, None
    )


async def recent_idea_titles(db: AsyncSession, user_id: int, limit: int = RECENT_TITLES) -> list[str]:
    """The user's latest idea titles: new ideas must not repeat them."""
    statement = (
        select(Idea.title)
        .where(Idea.user_id == user_id)
        .order_by(Idea.created_at.desc(), Idea.id.desc())
        .limit(limit)
    )
    return list((await db.scalars(statement)).all())


async def store_ideas(
    db: AsyncSession,
    *,
    user_id: int,
    project_id: int | None,
    category: str,
    prompt: str,
    ideas: list[GeneratedIdea],
    parent: Idea | None = None,
) -> list[Idea]:
    """Insert `ideas` into idea_generation_history and return the rows (ids and timestamps filled)."""
    rows = [
        Idea(
            user_id=user_id,
            project_id=project_id,
            parent_id=parent.id if parent else None,
            refinement_count=parent.refinement_count + 1 if parent else 0,
            title=idea.title,
            description=idea.description,
            category=category,
            tech_stack=idea.tech_stack,
            complexity=idea.complexity,
            source=idea.source,
            model=idea.model,
            prompt=prompt,
        )
        for idea in ideas
    ]
    db.add_all(rows)
    await db.flush()
    return rows
