"""Schemas for project ideas: generate, list, rate/select, refine."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool, StringConstraints

from lib.models.statuses import Complexity, IdeaSource
from lib.schemas.common import DbId, Input, ListQuery, Output, Patch, Slug, Timestamps

Interest = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]


class IdeaGenerateIn(Input):
    category: Slug
    interests: list[Interest] = Field(min_length=1, max_length=10)
    complexity: Complexity | None = Field(None, description="Omit for a mix of levels")
    count: int = Field(3, ge=1, le=10)
    project_id: DbId | None = None


class IdeaUpdate(Patch):
    NULLABLE = frozenset({"rating"})

    user_selected: StrictBool | None = None
    rating: int | None = Field(None, ge=1, le=5)


class IdeaRefineIn(Input):
    instructions: str = Field(min_length=1, max_length=2000)


class IdeaQuery(ListQuery):
    category: Slug | None = None
    selected: bool | None = Field(None, description="Only ideas you selected (true) or did not (false)")


class IdeaOut(Timestamps):
    id: int
    user_id: int
    project_id: int | None
    parent_id: int | None
    title: str
    description: str
    category: str
    tech_stack: list[str]
    complexity: Complexity
    user_selected: bool
    rating: int | None
    refinement_count: int
    source: IdeaSource
    model: str | None


class IdeasOut(Output):
    ideas: list[IdeaOut]
