"""Schemas for the activity log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, model_validator

from lib.models.statuses import ActivityStatus
from lib.schemas.common import DbId, ListQuery, Output, UtcDatetime


class ActivityQuery(ListQuery):
    user_id: DbId | None = Field(None, description="Admins only: one user's activity")
    action: str | None = Field(None, min_length=1, max_length=100)
    status: ActivityStatus | None = None
    entity_type: str | None = Field(None, min_length=1, max_length=50)
    entity_id: str | None = Field(None, min_length=1, max_length=64)
    since: UtcDatetime | None = None
    until: UtcDatetime | None = None
    archived: bool = Field(False, description="Admins only: read the archive of old rows instead")

    @model_validator(mode="after")
    def _ordered_range(self) -> ActivityQuery:
        if self.since and self.until and self.since > self.until:
            raise ValueError("since must not be after until")
        return self


class ActivityOut(Output):
    id: int
    user_id: int | None
    action: str
    entity_type: str | None
    entity_id: str | None
    status: str
    details: dict[str, Any] | None
    ip_address: str | None
    user_agent: str | None
    method: str | None
    path: str | None
    duration_ms: int | None
    request_id: str | None
    error_message: str | None
    created_at: datetime
