"""The AI assistant: chat replies and project ideas from a provider (httpx) or the built-in fallback."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lib import config
from lib.db import release
from lib.idea_catalogue import COMPLEXITIES, MAX_STACK, builtin_ideas, refine_builtin
from lib.intents import parse_idea_request
from lib.log import get_logger
from lib.models.chatbot_history import ChatbotMessage
from lib.models.idea_generation_history import Idea
from lib.models.meetings import Meeting
from lib.models.orders import Order
from lib.models.plans import Plan
from lib.models.projects import Project
from lib.models.synopsis import Synopsis
from lib.models.users import User

log = get_logger("ai")

PROVIDER, BUILTIN, FALLBACK = "provider", "builtin", "fallback"
CONTEXT_MESSAGES = 10
MAX_REPLY_CHARS = 8000
CHAT_IDEAS_DEFAULT, CHAT_IDEAS_MAX = 3, 5
DEFAULT_CHAT_CATEGORY = "ml"
RECENT_TITLES = 200
MODEL_NAME_CHARS = 100  # the width of the `model` columns


@dataclass(frozen=True)
class ProviderConfig:
    url: str
    key: str = field(repr=False)
    model: str
    timeout: float


def provider_config() -> ProviderConfig | None:
    """The provider when AI_API_URL, AI_API_KEY and AI_MODEL are all set, else None (built-in only)."""
    settings = config.get_settings()  # through the module, so tests can swap the settings
    if not (settings.ai_api_url and settings.ai_api_key and settings.ai_model):
        return None
    return ProviderConfig(
        url=settings.ai_api_url,
        key=settings.ai_api_key,
        model=settings.ai_model[:MODEL_NAME_CHARS],
        timeout=settings.ai_timeout_seconds,
    )


async def complete(
    provider: ProviderConfig, messages: list[dict[str, str]], db: AsyncSession | None = None
) -> str | None:
    """The provider's reply text; None on timeout, transport error, non-2xx or a malformed/empty body.

    With `db`, the request's transaction is committed first, so no pooled connection waits on us.
    """
    import httpx  # only requests that reach the provider pay for importing httpx

    if db is not None:
        await release(db)

    try:
        async with httpx.AsyncClient(timeout=provider.timeout) as client:
            response = await client.post(
                provider.url,
                json={"model": provider.model, "messages": messages},
                headers={"Authorization": f"Bearer {provider.key}"},
            )
        response.raise_for_status()
        content = response.json()["choices"][0]["message"]["content"]
    except httpx.HTTPStatusError as error:
        log.warning("ai_provider_failed", reason="http_status", status=error.response.status_code)
        return None
    except (ValueError, KeyError, IndexError, TypeError):
        log.warning("ai_provider_failed", reason="malformed_body")
        return None
    except Exception as error:  # timeouts, transport and URL errors: the user still gets an answer
        # Only the class name: an error's text may echo the URL, which can carry a key.
        log.warning("ai_provider_failed", reason=type(error).__name__)
        return None
    if not isinstance(content, str) or not content.strip():
        log.warning("ai_provider_failed", reason="empty_body")
        return None
    return content.replace("\x00", "").strip()


# ---------------------------------------------------------------- ideas


@dataclass(frozen=True)
class GeneratedIdea:
    title: str
    description: str
    tech_stack: list[str]
    complexity: str
    source: Literal["provider", "builtin"]
    model: str | None


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    return value


class ProviderIdea(BaseModel):
    """One idea as a provider must return it; anything else is dropped."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    title: str = Field(min_length=3, max_length=200)
    description: str = Field(min_length=10, max_length=5000)
    tech_stack: list[
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
    ] = Field(default_factory=list, max_length=MAX_STACK)
    complexity: Literal["beginner", "intermediate", "advanced"] | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _clean(cls, value: Any) -> Any:
        return _without_nul(value)  # PostgreSQL text cannot hold NUL

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


# ---------------------------------------------------------------- chat


def format_money(cents: int, currency: str) -> str:
    """Integer cents as `INR 1,499.00`."""
    sign = "-" if cents < 0 else ""
    whole, fraction = divmod(abs(cents), 100)
    return f"{currency} {sign}{whole:,}.{fraction:02d}"


def _first_name(user: User) -> str:
    return (user.full_name.split() or ["there"])[0]


async def _pricing_reply(db: AsyncSession, user: User, project: Project | None) -> str:
    plans = (
        await db.scalars(
            select(Plan).where(Plan.is_active.is_(True)).order_by(Plan.price_cents, Plan.id).limit(20)
        )
    ).all()
    if not plans:
        return "There are no plans on offer right now. Please check back soon, or ask an admin for a quote."
    lines = ["Here are our current plans:"]
    for plan in plans:
        line = f"- {plan.name}: {format_money(plan.price_cents, plan.currency)}"
        if plan.description:
            line += f" — {plan.description}"
        if plan.features:
            line += f" (includes {', '.join(str(feature) for feature in plan.features[:6])})"
        lines.append(line)
    lines.append("To buy one, place an order with the plan's id; it starts as pending until payment.")
    return "\n".join(lines)


async def _order_reply(db: AsyncSession, user: User, project: Project | None) -> str:
    rows = (
        await db.execute(
            select(Order, Plan.name)
            .join(Plan, Plan.id == Order.plan_id)
            .where(Order.user_id == user.id)
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(5)
        )
    ).all()
    if not rows:
        return "You have no orders yet. Ask me about pricing to see the plans you can order."
    lines = ["Your most recent orders:"]
    for order, plan_name in rows:
        amount = format_money(order.amount_cents, order.currency)
        placed = order.created_at.astimezone(UTC).date().isoformat()
        lines.append(f"- Order #{order.id}: {plan_name}, {amount} — {order.status} (placed {placed})")
    lines.append(
        "Orders move pending → paid → in_progress → completed; you can cancel an order while it is pending."
    )
    return "\n".join(lines)


SYNOPSIS_GUIDE = (
    "A good synopsis has four parts: a clear title; an abstract (150-300 words: the problem, your "
    "approach and the expected result); objectives (3-5 specific, measurable goals); and a methodology "
    "(data, tools, architecture, timeline and how you will evaluate the result). Submit it for review "
    "once it is complete: it then moves submitted → under_review → approved or rejected, with feedback."
)


async def _synopsis_reply(db: AsyncSession, user: User, project: Project | None) -> str:
    rows = (
        await db.scalars(
            select(Synopsis)
            .where(Synopsis.user_id == user.id)
            .order_by(Synopsis.updated_at.desc(), Synopsis.id.desc())
            .limit(5)
        )
    ).all()
    if not rows:
        return f"{SYNOPSIS_GUIDE}\nYou have not started a synopsis yet."
    lines = [SYNOPSIS_GUIDE, "Your synopses:"]
    for synopsis in rows:
        note = " — feedback is available" if synopsis.feedback else ""
        lines.append(f"- “{synopsis.title}”: {synopsis.status}{note}")
    return "\n".join(lines)


async def _meeting_reply(db: AsyncSession, user: User, project: Project | None) -> str:
    intro = (
        "You can book a mentor meeting by choosing a future time, a duration between 15 and 180 minutes "
        "and an agenda; an admin confirms it and adds the meeting link."
    )
    rows = (
        await db.scalars(
            select(Meeting)
            .where(
                Meeting.user_id == user.id,
                Meeting.scheduled_at >= datetime.now(UTC),
                Meeting.status.in_(("requested", "confirmed")),
            )
            .order_by(Meeting.scheduled_at, Meeting.id)
            .limit(5)
        )
    ).all()
    if not rows:
        return f"{intro}\nYou have no upcoming meetings."
    lines = [intro, "Your upcoming meetings:"]
    for meeting in rows:
        when = meeting.scheduled_at.astimezone(UTC).strftime("%a %d %b %Y %H:%M UTC")
        link = f", link: {meeting.meeting_link}" if meeting.meeting_link else ""
        lines.append(f"- {when}, {meeting.duration_minutes} min — {meeting.status}{link}")
    return "\n".join(lines)


async def _greeting_reply(db: AsyncSession, user: User, project: Project | None) -> str:
    about = f" We can talk about your project “{project.title}”." if project else ""
    return (
        f"Hi {_first_name(user)}! I'm the Launchpad assistant.{about} I can suggest project ideas, "
        "explain our plans and prices, help with your synopsis, book a mentor meeting or check your orders. "
        "What would you like to do?"
    )


async def _menu_reply(db: AsyncSession, user: User, project: Project | None) -> str:
    return (
        "I'm not sure I understood that. Here is what I can help with:\n"
        "- Project ideas: “Suggest 3 beginner IoT project ideas for agriculture”\n"
        "- Pricing: “How much do the plans cost?”\n"
        "- Synopsis: “How do I write my synopsis?”\n"
        "- Meetings: “Book a meeting with a mentor”\n"
        "- Orders: “What is the status of my order?”"
    )


_REPLIES = {
    "pricing": _pricing_reply,
    "order_status": _order_reply,
    "synopsis_help": _synopsis_reply,
    "meeting": _meeting_reply,
    "greeting": _greeting_reply,
}


async def builtin_reply(db: AsyncSession, user: User, intent: str, project: Project | None) -> str:
    """The offline answer for `intent`, built from the user's own rows."""
    return await _REPLIES.get(intent, _menu_reply)(db, user, project)


@dataclass
class Answer:
    reply: str
    source: str  # provider | builtin | fallback (provider configured but it failed)
    model: str | None
    ideas: list[GeneratedIdea] = field(default_factory=list)
    idea_category: str | None = None


CHAT_SYSTEM = (
    "You are the Launchpad assistant. Launchpad helps students with final-year projects: it sells plans "
    "and services, reviews project synopses and books mentor meetings. Answer briefly, concretely and "
    "kindly. Use the facts below about this student's account when they are relevant; never invent "
    "prices, orders, synopses or meetings."
)


def _chat_messages(system: str, history: list[ChatbotMessage], message: str) -> list[dict[str, str]]:
    turns = [
        {"role": "assistant" if row.message_type == "bot" else "user", "content": row.message}
        for row in history
    ]
    return [{"role": "system", "content": system}, *turns, {"role": "user", "content": message}]


def _ideas_reply(ideas: list[GeneratedIdea], category: str, guessed: bool) -> str:
    lines = [f"Here are {len(ideas)} project ideas ({category}):"]
    for number, idea in enumerate(ideas, 1):
        lines.append(f"{number}. {idea.title} [{idea.complexity}] — {idea.description}")
        if idea.tech_stack:
            lines.append(f"   Stack: {', '.join(idea.tech_stack)}")
    lines.append("They are saved to your ideas: select or rate one, or ask me to refine it.")
    if guessed:
        lines.append(
            "Tell me a category (ml, iot, web, mobile, blockchain, cloud, security, data) to narrow it down."
        )
    return "\n".join(lines)


async def _answer_ideas(db: AsyncSession, user: User, message: str, project: Project | None) -> Answer:
    request = parse_idea_request(message)
    category = request.category or (project.category if project else DEFAULT_CHAT_CATEGORY)
    interests = request.interests + [str(tech) for tech in (project.tech_stack if project else [])]
    count = min(request.count or CHAT_IDEAS_DEFAULT, CHAT_IDEAS_MAX)
    avoid = await recent_idea_titles(db, user.id)
    ideas = await generate_ideas(category, interests[:10], request.complexity, count, avoid, db)
    provider = provider_config()
    provided = [idea for idea in ideas if idea.source == PROVIDER]
    source = BUILTIN if provider is None else PROVIDER if provided else FALLBACK
    guessed = request.category is None and project is None
    return Answer(
        reply=_ideas_reply(ideas, category, guessed),
        source=source,
        model=provided[0].model if provided else None,
        ideas=ideas,
        idea_category=category,
    )


async def answer(
    db: AsyncSession,
    user: User,
    message: str,
    intent: str,
    history: list[ChatbotMessage],
    project: Project | None,
) -> Answer:
    """The bot's reply to `message`: from the provider when configured and working, else built-in."""
    if intent == "idea_generation":
        return await _answer_ideas(db, user, message, project)
    facts = await builtin_reply(db, user, intent, project)
    provider = provider_config()
    if provider is None:
        return Answer(reply=facts, source=BUILTIN, model=None)
    system = f"{CHAT_SYSTEM}\nThe student's first name: {_first_name(user)}."
    if project is not None:
        system += f"\nThe student's project: “{project.title}” (category {project.category})."
    system += f"\nDetected intent: {intent}.\nFacts from Launchpad:\n{facts}"
    content = await complete(provider, _chat_messages(system, history, message), db)
    if content is None:
        return Answer(reply=facts, source=FALLBACK, model=None)
    return Answer(reply=content[:MAX_REPLY_CHARS], source=PROVIDER, model=provider.model)
