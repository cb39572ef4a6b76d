"""Schemas for notifications: the list, its filter, the unread count and marking as read."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from lib.models.statuses import NotificationKind
from lib.schemas.common import DbId, ListQuery, Output, Patch

READ_IDS_MAX = 500  # one request marks at most this many by id; `{all: true}` has no limit


class NotificationQuery(ListQuery):
    unread: bool | None = Field(None, description="true: only unread; false: only read")


class NotificationOut(Output):
    id: int
    kind: NotificationKind
    title: str
    body: str
    entity_type: str
    entity_id: int
    read_at: datetime | None
    created_at: datetime


class UnreadCountOut(Output):
    count: int


class MarkReadIn(Patch):
    """Exactly one of `ids` (the caller's own; others' are ignored) or `all: true`; neither is nullable.

    A Patch for its null handling (a field is sent or absent, never `null`); the schema's `oneOf`
    tells clients that exactly one of the two is required.
    """

    model_config = ConfigDict(json_schema_extra={"oneOf": [{"required": ["ids"]}, {"required": ["all"]}]})

    ids: list[DbId] | None = Field(None, min_length=1, max_length=READ_IDS_MAX)
    all: Literal[True] | None = Field(None, description="Every unread notification of the caller")

    @model_validator(mode="after")
    def _one_of(self) -> MarkReadIn:
        if (self.ids is None) == (self.all is None):
            raise ValueError("give exactly one of `ids` or `all: true`")
        return self


class MarkedReadOut(Output):
    updated: int
