"""Schemas for meetings."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from lib.models.statuses import MeetingStatus
from lib.schemas.common import DbId, Input, ListQuery, Patch, Timestamps, UtcDatetime

MAX_AHEAD = timedelta(days=366)  # "about a year": a leap year still fits
# An unencoded `+` in a query string arrives as a space: `…T10:00:00 05:30` means `+05:30`.
_SPACE_BEFORE_OFFSET = re.compile(r" (\d{2}:?\d{2})$")


def _iso_text(value: Any) -> Any:
    """Only ISO 8601 text is a time here (pydantic would also take a number as a Unix timestamp)."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 datetime with a UTC offset")
    return _SPACE_BEFORE_OFFSET.sub(r"+\1", value.strip())


def _in_bookable_future(value: datetime) -> datetime:
    now = datetime.now(UTC)
    if value <= now:
        raise ValueError("must be in the future")
    if value > now + MAX_AHEAD:
        raise ValueError("must be at most one year ahead")
    return value


IsoDatetime = Annotated[UtcDatetime, BeforeValidator(_iso_text)]
BookableTime = Annotated[IsoDatetime, AfterValidator(_in_bookable_future)]
Duration = Annotated[int, Field(strict=True, ge=15, le=180, description="Minutes, 15 to 180")]
Agenda = Annotated[str, Field(min_length=1, max_length=2000)]
MeetingLink = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=500, pattern=r"^https://[^\s/?#@]+(?:[/?#]\S*)?$"),
]


class MeetingCreate(Input):
    scheduled_at: BookableTime = Field(description="Timezone-aware, in the future, at most a year ahead")
    duration_minutes: Duration
    agenda: Agenda
    project_id: DbId | None = Field(None, description="One of the caller's own projects")


class MeetingUpdate(Patch):
    """Admin: `confirmed` (with `meeting_link`), `completed`; owner or admin: `cancelled`;
    owner while `requested`: `scheduled_at`, `duration_minutes`, `agenda`."""

    status: Literal["confirmed", "completed", "cancelled"] | None = None
    meeting_link: MeetingLink | None = Field(None, description="https URL; required when confirming")
    scheduled_at: BookableTime | None = None
    duration_minutes: Duration | None = None
    agenda: Agenda | None = None


class MeetingQuery(ListQuery):
    status: MeetingStatus | None = None
    from_: IsoDatetime | None = Field(None, alias="from", description="scheduled_at ≥ this (with offset)")
    to: IsoDatetime | None = Field(None, description="scheduled_at ≤ this (with offset)")
    user_id: DbId | None = Field(None, description="Admins only: one user's meetings")

    @field_validator("to")
    @classmethod
    def _not_before_from(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        start = info.data.get("from_")
        if value is not None and start is not None and value < start:
            raise ValueError("must not be before `from`")
        return value


class MeetingOut(Timestamps):
    id: int
    user_id: int
    project_id: int | None
    scheduled_at: datetime
    duration_minutes: int
    agenda: str
    status: MeetingStatus
    meeting_link: str | None
