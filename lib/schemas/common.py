"""Shared schema pieces: strict input base, list query and page shapes, slug and text types."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from lib.core.limits import MAX_DB_ID, has_nul

T = TypeVar("T")

Slug = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        min_length=1,
        max_length=50,
        pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$",
    ),
]
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        min_length=3,
        max_length=254,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
    ),
]
Currency = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{3}$")]
DbId = Annotated[int, Field(ge=1, le=MAX_DB_ID)]


class NoNul(BaseModel):
    """Refuses the NUL character in any string field: PostgreSQL text cannot hold it (a 422, not a 500)."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if has_nul(value):
            raise ValueError("must not contain the NUL character")
        return value


class Input(NoNul):
    """Base of every request body: unknown fields are errors, text is trimmed, NUL is refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class Patch(Input):
    """Base of PATCH bodies: only the fields sent change; `null` only where a column allows it."""

    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _null_only_where_allowed(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.NULLABLE:
            raise ValueError("must not be null")
        return value

    def changes(self) -> dict[str, Any]:
        """The fields the client actually sent."""
        return self.model_dump(exclude_unset=True)


class Output(BaseModel):
    """Base of every response model: built straight from ORM rows."""

    model_config = ConfigDict(from_attributes=True, defer_build=True)


class ListQuery(NoNul):
    """`limit` and `cursor` of every collection; subclasses add the filters."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, defer_build=True)

    limit: int = Field(20, ge=1, le=100, description="Page size")
    cursor: str | None = Field(None, max_length=200, description="Opaque cursor from `next_cursor`")


class Page(BaseModel, Generic[T]):
    """One page of a collection, newest first."""

    items: list[T]
    next_cursor: str | None


class Timestamps(Output):
    created_at: datetime
    updated_at: datetime
