"""Built-in project ideas composed from the catalogue: template, interest, twist and complexity."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from lib.assistant.idea_catalogue import CategorySpec, Template, Twist, catalogue, resolve_category
from lib.assistant.intents import CATEGORY_WORDS
from lib.models.statuses import Complexity

# With no complexity asked for, a batch spreads across levels so the student sees the range.
LEVEL_CYCLE: tuple[Complexity, ...] = ("intermediate", "beginner", "advanced")
MAX_TITLE = 200  # the width of idea_generation_history.title
MAX_STACK = 12


@dataclass(frozen=True)
class BuiltinIdea:
    title: str
    description: str
    tech_stack: list[str]
    complexity: str


@cache
def _category_phrases() -> frozenset[str]:
    """Interests that only restate a category: "machine learning" in ml says nothing new."""
    words = {word for words in CATEGORY_WORDS.values() for word in words}
    return frozenset(words | set(catalogue().categories))


def _display(text: str) -> str:
    """Title-case a lower-case interest for a title; keep a student's own capitals (`IoT`, `ERP`)."""
    text = " ".join(text.split())
    if text != text.lower():
        return text
    return " ".join(word[:1].upper() + word[1:] for word in text.split(" "))


def split_interests(interests: list[str], spec: CategorySpec) -> tuple[list[str], list[str]]:
    """Interests split into domains (go into titles) and technologies (go into the stack)."""
    tech_names = catalogue().tech_names
    category_phrases = _category_phrases()
    domains: list[str] = []
    techs: list[str] = []
    seen: set[str] = set()
    for raw in interests:
        key = " ".join(raw.split()).lower()
        if not key or key in seen:
            continue
        seen.add(key)
        if key in tech_names:
            techs.append(tech_names[key])
        elif key not in category_phrases:
            domains.append(_display(raw))
    return domains or list(spec.domains), techs


def unique(items: list[str]) -> list[str]:
    """`items` without case-insensitive repeats, first spelling and order kept."""
    seen: set[str] = set()
    result: list[str] = []
    for item in items:
        if item.lower() not in seen:
            seen.add(item.lower())
            result.append(item)
    return result


def _seed(*parts: object) -> int:
    # hashlib, not hash(): the same request gives the same ideas in every process.
    digest = hashlib.sha256(repr(parts).encode()).digest()
    return int.from_bytes(digest[:4], "big")


def _candidates(
    spec: CategorySpec, domains: list[str], seed: int
) -> Iterator[tuple[Template, str, Twist | None]]:
    """Every (template, domain, twist) combination; consecutive ideas differ in all three."""
    templates, twists = spec.templates, spec.twists
    for round_ in range(len(templates)):
        for index, domain in enumerate(domains):
            yield templates[(seed + round_ + index) % len(templates)], domain, None
    for twist_round in range(len(twists)):
        for round_ in range(len(templates)):
            twist = twists[(seed + twist_round + round_) % len(twists)]
            for index, domain in enumerate(domains):
                yield templates[(seed + round_ + index) % len(templates)], domain, twist


def _compose(
    spec: CategorySpec,
    template: Template,
    domain: str,
    twist: Twist | None,
    level: str,
    techs: list[str],
    field: str,
) -> BuiltinIdea:
    tier_sentence, tier_stack = spec.tiers[level]
    title = template.title.format(domain=domain, field=field)
    parts = [
        template.summary.format(domain=domain.lower() if domain.istitle() else domain, field=field.lower())
    ]
    if twist is not None:
        title = f"{title} {twist.suffix}"
        parts.append(twist.sentence)
    parts.append(f"{level.capitalize()} scope: {tier_sentence[0].lower()}{tier_sentence[1:]}")
    if techs:
        parts.append(f"Uses your chosen technologies: {', '.join(techs)}.")
    stack = unique([*techs, *template.stack, *(twist.stack if twist else ()), *tier_stack])[:MAX_STACK]
    return BuiltinIdea(
        title=title[:MAX_TITLE].rstrip(), description=" ".join(parts), tech_stack=stack, complexity=level
    )


def builtin_ideas(
    category: str, interests: list[str], complexity: str | None, count: int, avoid_titles: list[str]
) -> list[BuiltinIdea]:
    """`count` distinct ideas for `category` and `interests`, none titled like `avoid_titles`."""
    key = resolve_category(category)
    spec = catalogue().categories[key] if key else catalogue().generic
    field = _display(category.replace("-", " ").replace("_", " ")) if key is None else ""
    domains, techs = split_interests(interests, spec)
    seed = _seed(category, sorted(i.lower() for i in interests), complexity)
    taken = {title.casefold() for title in avoid_titles}
    ideas: list[BuiltinIdea] = []
    variant = 1
    while len(ideas) < count:
        for template, domain, twist in _candidates(spec, domains, seed):
            level = complexity or LEVEL_CYCLE[len(ideas) % len(LEVEL_CYCLE)]
            idea = _compose(spec, template, domain, twist, level, techs, field)
            if variant > 1:  # every combination is used up: number the repeats to stay distinct
                idea = BuiltinIdea(
                    f"{idea.title[: MAX_TITLE - 14]} (Variant {variant})",
                    idea.description,
                    idea.tech_stack,
                    idea.complexity,
                )
            if idea.title.casefold() in taken:
                continue
            taken.add(idea.title.casefold())
            ideas.append(idea)
            if len(ideas) == count:
                break
        variant += 1
    return ideas
