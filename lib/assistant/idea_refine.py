"""Built-in idea refinement: the student's instructions adjust an idea's level, stack and focus."""

from __future__ import annotations

import re

from lib.assistant.idea_catalogue import catalogue
from lib.assistant.idea_compose import MAX_STACK, MAX_TITLE, BuiltinIdea, unique
from lib.models.statuses import COMPLEXITIES, Complexity

_SIMPLER = re.compile(r"\b(simpl\w*|easi\w*|beginner|basic|smaller|less\s+complex|reduce\s+scope)\b", re.I)
_HARDER = re.compile(r"\b(harder|advanced|complex\w*|challenging|scal\w*|production|research)\b", re.I)
_REMOVE = r"\b(?:without|remove|drop|no|replace|instead of|not)\s+(?:the\s+|using\s+|any\s+)?"
_REFINED_SUFFIX = re.compile(r"\s*\(Refined(?: \d+)?: [^)]*\)$")


def _refined_level(current: str, instructions: str) -> Complexity:
    for level in COMPLEXITIES:
        if re.search(rf"\b{level}\b", instructions, re.I):
            return level
    index = COMPLEXITIES.index(current) if current in COMPLEXITIES else 1
    if _SIMPLER.search(instructions):
        index = max(0, index - 1)
    elif _HARDER.search(instructions):
        index = min(len(COMPLEXITIES) - 1, index + 1)
    return COMPLEXITIES[index]


def _contains(longer: str, key: str) -> bool:
    return re.search(rf"(?<![\w.#+-]){re.escape(key)}(?![\w#+])", longer) is not None


def _mentioned_techs(text: str) -> list[str]:
    """Technologies named in free text; `react native` does not also count as `react`."""
    known = catalogue()
    lowered = text.lower()
    keys = [key for key in known.tech_names if key not in known.standalone_only and _contains(lowered, key)]
    keys = [key for key in keys if not any(other != key and _contains(other, key) for other in keys)]
    return unique([known.tech_names[key] for key in keys])


def _is_removed(tech: str, lowered: str) -> bool:
    """Whether the instructions ask to drop `tech` (`without X`, `remove the X`, `instead of X`)."""
    return re.search(rf"{_REMOVE}{re.escape(tech.lower())}(?![\w#+])", lowered) is not None


def _stack_changes(stack: list[str], instructions: str) -> tuple[list[str], list[str], list[str]]:
    """The refined stack, what it adds and what it drops."""
    lowered = " ".join(instructions.lower().split())
    removed = [tech for tech in stack if _is_removed(tech, lowered)]
    existing = {tech.lower() for tech in stack}
    added = [
        tech
        for tech in _mentioned_techs(instructions)
        if tech.lower() not in existing and not _is_removed(tech, lowered)
    ]
    kept = [tech for tech in stack if tech not in removed]
    return unique([*kept, *added])[:MAX_STACK], added, removed


def _focus(instructions: str) -> str:
    """A short label of what the refinement is about: its first clause, at most 60 characters."""
    first = re.split(r"[.;\n!?]", instructions.strip(), maxsplit=1)[0].strip() or instructions.strip()
    if len(first) > 60:
        first = first[:57].rsplit(" ", 1)[0] + "..."
    return first[:1].upper() + first[1:]


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def refine_builtin(
    title: str, description: str, tech_stack: list[str], complexity: str, instructions: str, number: int
) -> BuiltinIdea:
    """A deterministic refinement: the instructions adjust the level, the stack and the focus."""
    stack, added, removed = _stack_changes(tech_stack, instructions)
    level = _refined_level(complexity, instructions)
    label = f" (Refined{f' {number}' if number > 1 else ''}: {_focus(instructions)})"
    base = _REFINED_SUFFIX.sub("", title).strip()
    new_title = f"{base[: MAX_TITLE - len(label)].rstrip()}{label}"[:MAX_TITLE]
    changes = [f"Refinement {number}: {_sentence(instructions[:500])}"]
    if level != complexity:
        changes.append(f"Scope moves from {complexity} to {level}.")
    if added:
        changes.append(f"Adds {', '.join(added)}.")
    if removed:
        changes.append(f"Drops {', '.join(removed)}.")
    return BuiltinIdea(
        title=new_title,
        description=f"{description.strip()}\n\n{' '.join(changes)}",
        tech_stack=stack,
        complexity=level,
    )
