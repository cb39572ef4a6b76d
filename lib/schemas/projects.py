"""Schemas for projects."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from lib.models.statuses import ProjectStatus
from lib.schemas.common import DbId, Input, ListQuery, Patch, Slug, Timestamps

TechName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]


class ProjectCreate(Input):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=10_000)
    category: Slug
    tech_stack: list[TechName] = Field(default_factory=list, max_length=30)
    deadline: date | None = None
    status: Literal["draft", "submitted"] = "draft"


class ProjectUpdate(Patch):
    NULLABLE = frozenset({"deadline"})

    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=10_000)
    category: Slug | None = None
    tech_stack: list[TechName] | None = Field(None, max_length=30)
    deadline: date | None = None
    status: ProjectStatus | None = None


class ProjectQuery(ListQuery):
    status: ProjectStatus | None = None
    category: Slug | None = None
    q: str | None = Field(None, min_length=1, max_length=200, description="Full-text search")
    user_id: DbId | None = Field(None, description="Admins only: one user's projects")


class ProjectOut(Timestamps):
    id: int
    user_id: int
    title: str
    description: str
    category: str
    tech_stack: list[str]
    deadline: date | None
    status: ProjectStatus
