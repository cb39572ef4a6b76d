"""Schemas for admin requests."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from lib.models.statuses import AdminRequestStatus
from lib.schemas.common import DbId, Input, ListQuery, Patch, Slug, Timestamps

Message = Annotated[str, Field(min_length=1, max_length=5000)]


class AdminRequestCreate(Input):
    request_type: Slug = Field(description="What it is about, e.g. `billing`, `meeting`, `other`")
    message: Message


class AdminRequestUpdate(Patch):
    """Admin: `in_progress`, or `resolved`/`rejected` with `admin_response`; owner while `open`: `message`."""

    status: Literal["in_progress", "resolved", "rejected"] | None = None
    admin_response: Message | None = Field(None, description="Required when resolving or rejecting")
    message: Message | None = None


class AdminRequestQuery(ListQuery):
    status: AdminRequestStatus | None = None
    user_id: DbId | None = Field(None, description="Admins only: one user's requests")


class AdminRequestOut(Timestamps):
    id: int
    user_id: int
    request_type: str
    message: str
    status: AdminRequestStatus
    admin_response: str | None
    resolved_by: int | None
    resolved_at: datetime | None
