"""The built-in idea catalogue: idea_catalogue.json, read and checked once on first use, as dataclasses."""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NamedTuple, NoReturn

from lib.models.statuses import COMPLEXITIES

CATALOGUE_FILE = Path(__file__).with_name("idea_catalogue.json")


@dataclass(frozen=True)
class Template:
    title: str  # `{domain}` is the interest, title-cased; generic templates also use `{field}`
    summary: str
    stack: tuple[str, ...]


@dataclass(frozen=True)
class Twist:
    suffix: str
    sentence: str
    stack: tuple[str, ...]


@dataclass(frozen=True)
class CategorySpec:
    templates: tuple[Template, ...]
    tiers: dict[str, tuple[str, tuple[str, ...]]]  # complexity -> (scope sentence, stack)
    twists: tuple[Twist, ...]
    domains: tuple[str, ...]  # used when the student names no interest


class Catalogue(NamedTuple):  # not a dataclass: defining one costs about 1 ms of every cold start
    categories: dict[str, CategorySpec]
    generic: CategorySpec  # any other category: its name fills `{field}`
    aliases: dict[str, str]  # another slug -> a key of `categories`
    tech_names: dict[str, str]  # lower-case name or spelling -> technology (interests for the stack)
    standalone_only: frozenset[str]  # keys of `tech_names` that are technologies only as a whole interest


class CatalogueError(ValueError):
    """idea_catalogue.json does not have the shape the code reads."""


@cache
def catalogue() -> Catalogue:
    """The catalogue, read on first use; a malformed file raises CatalogueError then."""
    try:
        data = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    except ValueError as error:
        raise CatalogueError(f"{CATALOGUE_FILE.name}: not valid JSON: {error}") from error
    return parse_catalogue(data)


def resolve_category(category: str) -> str | None:
    """The catalogue key for a category slug (aliases included), or None for a free-form category."""
    known = catalogue()
    slug = category.strip().lower()
    slug = known.aliases.get(slug, slug)
    return slug if slug in known.categories else None


def __getattr__(name: str) -> dict[str, CategorySpec]:
    """`CATALOGUE` (the categories) for code that imports it by that name; read on first use."""
    if name == "CATALOGUE":
        return catalogue().categories
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_TOP_KEYS = frozenset(
    {"about", "categories", "generic", "aliases", "technologies", "spellings", "standalone_only"}
)
_SPEC_KEYS = frozenset({"templates", "tiers", "twists", "domains"})
_TEMPLATE_KEYS = frozenset({"title", "summary", "stack"})
_TWIST_KEYS = frozenset({"suffix", "sentence", "stack"})
_TIER_KEYS = frozenset({"scope", "stack"})
_IN_CATEGORY = frozenset({"domain"})
_IN_GENERIC = frozenset({"domain", "field"})


def parse_catalogue(data: object) -> Catalogue:
    """The catalogue in `data` (the parsed JSON file), or CatalogueError naming the first thing wrong."""
    top = _object(data, "the top level", _TOP_KEYS)
    _text(top["about"], "about")
    categories: dict[str, CategorySpec] = {}
    for slug, value in _object(top["categories"], "categories", empty_ok=False).items():
        where = f"categories.{slug}"
        categories[_slug(slug, where)] = _spec(value, where, _IN_CATEGORY)
    generic = _spec(top["generic"], "generic", _IN_GENERIC)
    aliases: dict[str, str] = {}
    for alias, target in _object(top["aliases"], "aliases").items():
        where = f"aliases.{alias}"
        if _slug(alias, where) in categories:
            _fail(where, "is a category itself")
        if not isinstance(target, str) or target not in categories:
            _fail(where, f"{target!r} is not a category")
        aliases[alias] = target
    technologies = _texts(top["technologies"], "technologies")
    tech_names = {name.lower(): name for name in technologies}
    if len(tech_names) != len(technologies):
        _fail("technologies", "names a technology twice (case-insensitively)")
    if spaced := [name for name in technologies if name != " ".join(name.split())]:
        _fail("technologies", f"{spaced} must be single-spaced (interests are matched that way)")
    for spelling, name in _object(top["spellings"], "spellings").items():
        where = f"spellings.{spelling}"
        if spelling != " ".join(spelling.lower().split()) or not spelling:
            _fail(where, "must be lower case, single-spaced and not empty")
        if spelling in tech_names:
            _fail(where, "is already a technology's name")
        if not isinstance(name, str) or name not in technologies:
            _fail(where, f"{name!r} is not in technologies")
        tech_names[spelling] = name
    standalone_only = frozenset(_texts(top["standalone_only"], "standalone_only"))
    if unknown := sorted(standalone_only - set(tech_names)):
        _fail("standalone_only", f"{unknown} are not lower-case technology names or spellings")
    return Catalogue(categories, generic, aliases, tech_names, standalone_only)


def _spec(value: object, where: str, placeholders: frozenset[str]) -> CategorySpec:
    spec = _object(value, where, _SPEC_KEYS)
    templates = tuple(
        Template(
            title=_format(entry["title"], f"{at}.title", placeholders),
            summary=_format(entry["summary"], f"{at}.summary", placeholders),
            stack=_texts(entry["stack"], f"{at}.stack", empty_ok=True),
        )
        for at, entry in _entries(spec["templates"], f"{where}.templates", _TEMPLATE_KEYS, empty_ok=False)
    )
    tiers_value = _object(spec["tiers"], f"{where}.tiers", frozenset(COMPLEXITIES))
    tiers: dict[str, tuple[str, tuple[str, ...]]] = {}
    for level in COMPLEXITIES:
        tier = _object(tiers_value[level], f"{where}.tiers.{level}", _TIER_KEYS)
        tiers[level] = (
            _text(tier["scope"], f"{where}.tiers.{level}.scope"),
            _texts(tier["stack"], f"{where}.tiers.{level}.stack", empty_ok=True),
        )
    twists = tuple(
        Twist(
            suffix=_text(entry["suffix"], f"{at}.suffix"),
            sentence=_text(entry["sentence"], f"{at}.sentence"),
            stack=_texts(entry["stack"], f"{at}.stack", empty_ok=True),
        )
        for at, entry in _entries(spec["twists"], f"{where}.twists", _TWIST_KEYS, empty_ok=True)
    )
    # With no interests these are the domains; an empty list would leave nothing to compose.
    domains = _texts(spec["domains"], f"{where}.domains")
    return CategorySpec(templates=templates, tiers=tiers, twists=twists, domains=domains)


def _fail(where: str, problem: str) -> NoReturn:
    raise CatalogueError(f"{CATALOGUE_FILE.name}: {where}: {problem}")


def _object(
    value: object, where: str, keys: frozenset[str] | None = None, *, empty_ok: bool = True
) -> dict[str, object]:
    """`value` as a JSON object, with exactly `keys` when given."""
    if not isinstance(value, dict) or (not value and not empty_ok):
        _fail(where, "expected a non-empty object" if not empty_ok else "expected an object")
    if keys is not None and set(value) != keys:
        missing, unknown = sorted(keys - set(value)), sorted(set(value) - keys)
        _fail(where, f"keys missing: {missing or 'none'}; unknown keys: {unknown or 'none'}")
    return value


def _entries(
    value: object, where: str, keys: frozenset[str], *, empty_ok: bool
) -> list[tuple[str, dict[str, object]]]:
    """The objects of a JSON array, each with its location, each with exactly `keys`."""
    if not isinstance(value, list) or (not value and not empty_ok):
        _fail(where, "expected a list of objects" if empty_ok else "expected a non-empty list of objects")
    return [
        (f"{where}[{index}]", _object(item, f"{where}[{index}]", keys)) for index, item in enumerate(value)
    ]


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value or value != value.strip():
        _fail(where, "expected a non-empty string without surrounding spaces")
    return value


def _texts(value: object, where: str, *, empty_ok: bool = False) -> tuple[str, ...]:
    if not isinstance(value, list) or (not value and not empty_ok):
        _fail(where, "expected a list of strings" if empty_ok else "expected a non-empty list of strings")
    if all(isinstance(item, str) and item and item == item.strip() for item in value):
        return tuple(value)
    return tuple(_text(item, f"{where}[{index}]") for index, item in enumerate(value))  # fails at the first


def _slug(value: str, where: str) -> str:
    if not value or value != value.strip().lower():
        _fail(where, "a slug must be lower case, with no surrounding spaces")
    return value


def _format(value: object, where: str, allowed: frozenset[str]) -> str:
    """A template string whose `{placeholders}` are all in `allowed` (str.format would fail on others)."""
    text = _text(value, where)
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as error:
        _fail(where, f"malformed placeholder: {error}")
    if unknown := sorted(names - allowed):
        _fail(where, f"unknown placeholders {unknown}; allowed: {sorted(allowed)}")
    return text
