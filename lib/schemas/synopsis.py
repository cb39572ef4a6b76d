"""Schemas for synopses."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from lib.models.statuses import SynopsisStatus
from lib.schemas.common import DbId, Input, ListQuery, Patch, Timestamps

REVIEW_STATUSES = ("under_review", "approved", "rejected")
MAX_TEXT = 20_000


class SynopsisCreate(Input):
    project_id: DbId
    title: str = Field(min_length=1, max_length=200)
    abstract: str = Field(min_length=1, max_length=MAX_TEXT)
    objectives: str | None = Field(None, max_length=MAX_TEXT)
    methodology: str | None = Field(None, max_length=MAX_TEXT)
    status: Literal["draft", "submitted"] = "draft"


class SynopsisUpdate(Patch):
    NULLABLE = frozenset({"objectives", "methodology"})

    title: str | None = Field(None, min_length=1, max_length=200)
    abstract: str | None = Field(None, min_length=1, max_length=MAX_TEXT)
    objectives: str | None = Field(None, max_length=MAX_TEXT)
    methodology: str | None = Field(None, max_length=MAX_TEXT)
    status: SynopsisStatus | None = None
    # Declared after `status` so its validator can see the status sent with it.
    feedback: str | None = Field(
        None, min_length=1, max_length=MAX_TEXT, description="Admins only, with a review status"
    )

    @field_validator("feedback", mode="after")
    @classmethod
    def _feedback_comes_with_a_review(cls, value: str | None, info: ValidationInfo) -> str | None:
        # Feedback is part of a review decision; alone it would be an edit nobody reviews.
        # (An invalid `status` is absent from info.data and already reported on its own.)
        if "status" in info.data and info.data["status"] not in REVIEW_STATUSES:
            raise ValueError("feedback is only accepted with status under_review, approved or rejected")
        return value


class SynopsisQuery(ListQuery):
    status: SynopsisStatus | None = None
    project_id: DbId | None = Field(None, description="Synopses of one project")
    user_id: DbId | None = Field(None, description="Admins only: one user's synopses")


class SynopsisOut(Timestamps):
    id: int
    user_id: int
    project_id: int
    title: str
    abstract: str
    objectives: str | None
    methodology: str | None
    status: SynopsisStatus
    feedback: str | None
    reviewed_by: int | None
    reviewed_at: datetime | None
