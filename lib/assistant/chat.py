"""Chatbot replies: built-in answers per intent from the user's data, or the provider with fallback."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lib.assistant.ideas import IDEA_BUDGET, GeneratedIdea, generate_ideas, recent_idea_titles
from lib.assistant.intents import parse_idea_request
from lib.assistant.provider import BUILTIN, FALLBACK, PROVIDER, complete, provider_config
from lib.core import ratelimit
from lib.core.log import get_logger
from lib.models.chatbot_history import ChatbotMessage
from lib.models.meetings import Meeting
from lib.models.orders import Order
from lib.models.plans import Plan
from lib.models.projects import Project
from lib.models.synopsis import Synopsis
from lib.models.users import User
from lib.rules.status_machines import ORDER, SYNOPSIS

log = get_logger("chat")
# Chat messages a user may send; a message asking for ideas also spends IDEA_BUDGET.
MESSAGE_BUDGET = ratelimit.Budget("chatbot", limit=30, window=timedelta(minutes=1))

CONTEXT_MESSAGES = 10
MAX_REPLY_CHARS = 8000
CHAT_IDEAS_DEFAULT, CHAT_IDEAS_MAX = 3, 5
DEFAULT_CHAT_CATEGORY = "ml"


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
    lines.append(f"To buy one, place an order with the plan's id; it starts as {ORDER.start} until payment.")
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
    cancellable = " or ".join(ORDER.sources("cancelled", admin=False))
    lines.append(f"Orders move {ORDER.flow()}; you can cancel an order while it is {cancellable}.")
    return "\n".join(lines)


SYNOPSIS_GUIDE = (
    "A good synopsis has four parts: a clear title; an abstract (150-300 words: the problem, your "
    "approach and the expected result); objectives (3-5 specific, measurable goals); and a methodology "
    "(data, tools, architecture, timeline and how you will evaluate the result). Submit it for review "
    "once it is complete: it then moves " + SYNOPSIS.flow("submitted") + ", with feedback."
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
    await ratelimit.spend(db, IDEA_BUDGET, user.id)  # the same ideas as /api/ideas/generate makes
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
