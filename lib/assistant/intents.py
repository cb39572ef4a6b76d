"""Chatbot intent detection and idea-request parsing: deterministic keyword scoring, no network."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    from lib.models.statuses import Complexity  # a type only: no models imported at run time

Intent = Literal[
    "idea_generation", "pricing", "synopsis_help", "meeting", "order_status", "greeting", "other"
]
INTENTS: tuple[Intent, ...] = get_args(Intent)


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# (pattern, weight) per intent. Weights make a specific phrase ("how much") outvote a vague word.
_SIGNALS: dict[Intent, tuple[tuple[re.Pattern[str], int], ...]] = {
    "idea_generation": (
        (_rx(r"\bideas?\b"), 3),
        (_rx(r"\b(suggest|recommend|propose)\w*\b.{0,40}\b(projects?|topics?|something)\b"), 3),
        (_rx(r"\b(project|research)\s+topics?\b"), 3),
        (_rx(r"\bbrainstorm\w*\b"), 3),
        (_rx(r"\bwhat\s+(should|could|can)\s+i\s+(build|make|create|do\s+(for|as)\s+my)\b"), 3),
        (_rx(r"\b(inspiration|inspire)\b"), 2),
        (_rx(r"\b(final[- ]year|capstone|mini)\s+projects?\b"), 1),
        (_rx(r"\bgenerate\b"), 1),
    ),
    "pricing": (
        (_rx(r"\bpric(e|es|ing|ed)\b"), 3),
        (_rx(r"\bhow\s+much\b"), 3),
        (_rx(r"\bcosts?\b|\bcosting\b"), 3),
        (_rx(r"\b(fees?|charges?|rates?|tariff)\b"), 2),
        (_rx(r"\bplans?\b|\bpackages?\b|\bsubscriptions?\b"), 2),
        (_rx(r"\b(cheap|cheapest|afford\w*|budget|discount\w*|expensive)\b"), 2),
        (_rx(r"\b(rupees?|inr|usd|dollars?)\b|[₹$]"), 2),
    ),
    "synopsis_help": (
        (_rx(r"\bsynops[ie]s\b"), 4),
        (_rx(r"\babstract\b"), 2),
        (_rx(r"\b(objectives?|methodology|literature\s+review|problem\s+statement)\b"), 2),
        (_rx(r"\b(project\s+)?proposal\b"), 2),
        (_rx(r"\b(write[- ]?up|report\s+format)\b"), 1),
    ),
    "meeting": (
        (_rx(r"\bmeet(ing|ings)?\b"), 3),
        (_rx(r"\bmentors?\b|\bguides?\b|\bsupervisors?\b"), 2),
        (_rx(r"\b(schedul\w*|reschedul\w*|book(ing)?|appointments?|slots?)\b"), 2),
        (_rx(r"\b(call|zoom|google\s+meet|video\s+chat|consultation|one[- ]on[- ]one|1:1)\b"), 2),
        (_rx(r"\btalk\s+to\s+(a|an|the|someone|somebody)\b"), 2),
    ),
    "order_status": (
        (_rx(r"\borders?\b"), 3),
        (_rx(r"\b(purchases?|purchased|bought)\b"), 3),
        (_rx(r"\bpayments?\b|\bpaid\b"), 2),
        (_rx(r"\b(refunds?|invoices?|receipts?|transactions?)\b"), 3),
        (_rx(r"\b(track|status|progress|delivered|delivery)\b"), 1),
    ),
    "greeting": (
        (
            _rx(
                r"^\s*(hi+|hello+|hey+|hiya|yo|howdy|greetings|namaste|hola|"
                r"good\s+(morning|afternoon|evening|day))\b"
            ),
            2,
        ),
        (_rx(r"\bhow\s+are\s+you\b|\bwhat'?s\s+up\b"), 2),
        (_rx(r"\b(thanks|thank\s+you)\b"), 1),
    ),
}
# When two intents score the same, the more actionable one wins (greeting is the weakest).
_PRIORITY: tuple[Intent, ...] = (
    "order_status",
    "synopsis_help",
    "meeting",
    "pricing",
    "idea_generation",
    "greeting",
)


def intent_scores(message: str) -> dict[Intent, int]:
    """Each intent's keyword score for `message` (0 when nothing matched)."""
    return {
        intent: sum(weight for pattern, weight in signals if pattern.search(message))
        for intent, signals in _SIGNALS.items()
    }


def detect_intent(message: str) -> Intent:
    """The intent of a chat message: the best keyword score, `other` when nothing matched."""
    scores = intent_scores(message)
    best = max(scores.values())
    if best == 0:
        return "other"
    return next(intent for intent in _PRIORITY if scores[intent] == best)


# What a chat message can say about the ideas it asks for.
CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "ml": (
        "machine learning",
        "ml",
        "ai",
        "artificial intelligence",
        "deep learning",
        "neural",
        "nlp",
        "computer vision",
    ),
    "iot": ("iot", "internet of things", "arduino", "raspberry pi", "sensor", "sensors", "embedded"),
    "blockchain": ("blockchain", "web3", "smart contract", "smart contracts", "crypto", "ethereum", "nft"),
    "cloud": ("cloud", "aws", "azure", "gcp", "serverless", "kubernetes", "devops"),
    "security": ("security", "cyber", "cybersecurity", "encryption", "malware", "phishing", "hacking"),
    "data": ("data science", "data analytics", "analytics", "big data", "visualization", "dashboard", "data"),
    "mobile": ("mobile", "android", "ios", "flutter", "react native", "app"),
    "web": ("web", "website", "web app", "django", "full stack", "frontend", "backend"),
}
DOMAIN_WORDS: tuple[str, ...] = (
    "healthcare",
    "health",
    "agriculture",
    "farming",
    "education",
    "finance",
    "banking",
    "retail",
    "e-commerce",
    "transport",
    "traffic",
    "parking",
    "energy",
    "environment",
    "climate",
    "water",
    "waste management",
    "smart home",
    "smart city",
    "sports",
    "fitness",
    "gaming",
    "music",
    "travel",
    "tourism",
    "food",
    "logistics",
    "manufacturing",
    "social media",
    "mental health",
    "accessibility",
    "disaster management",
    "real estate",
    "legal",
    "hr",
    "libraries",
)
_COMPLEXITY_WORDS: tuple[tuple[Complexity, re.Pattern[str]], ...] = (
    ("beginner", _rx(r"\b(beginners?|easy|simple|basic|first[- ]year|starter)\b")),
    ("advanced", _rx(r"\b(advanced|complex|challenging|hard|research[- ]level|cutting[- ]edge)\b")),
    ("intermediate", _rx(r"\b(intermediate|moderate|medium)\b")),
)
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}
_COUNT = _rx(
    r"\b(\d{1,2}|one|two|three|four|five|six|seven|eight)\s+(?:[\w-]+\s+){0,3}?(ideas?|projects?|topics?)"
)


@dataclass(frozen=True)
class IdeaRequest:
    """What a chat message asks for: any of these may be missing."""

    category: str | None
    interests: list[str]
    complexity: Complexity | None
    count: int | None


def _mentions(message: str, phrase: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", message, re.IGNORECASE) is not None


def parse_idea_request(message: str) -> IdeaRequest:
    """Category, interests, complexity and count a chat message mentions (for the idea generator)."""
    category = next(
        (slug for slug, words in CATEGORY_WORDS.items() if any(_mentions(message, w) for w in words)), None
    )
    interests = [domain for domain in DOMAIN_WORDS if _mentions(message, domain)]
    complexity = next((level for level, pattern in _COMPLEXITY_WORDS if pattern.search(message)), None)
    count = None
    if match := _COUNT.search(message):
        word = match.group(1).lower()
        count = int(word) if word.isdigit() else _NUMBER_WORDS[word]
    return IdeaRequest(category=category, interests=interests, complexity=complexity, count=count)
