"""Schemas for the admin reports: their parameters and the shape of each report's rows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

RowT = TypeVar("RowT")


class _Deferred(BaseModel):
    """Every model here builds its schema on first use: loading api/stats.py builds none."""

    model_config = ConfigDict(defer_build=True)


class _Params(_Deferred):
    model_config = ConfigDict(extra="ignore")


class DaysQuery(_Params):
    days: int = Field(30, ge=1, le=365, description="How many days back")


class TopQuery(_Params):
    days: int = Field(7, ge=1, le=365, description="How many days back")
    limit: int = Field(10, ge=1, le=100, description="How many rows")


class LimitQuery(_Params):
    limit: int = Field(20, ge=1, le=100, description="How many rows")


class Report(_Deferred, Generic[RowT]):
    report: str
    params: dict[str, Any]
    rows: list[RowT]


class ActiveUserRow(_Deferred):
    user_id: int
    email: str
    actions: int


class FailedActionRow(_Deferred):
    action: str
    status: str
    count: int


class ChatbotDayRow(_Deferred):
    date: date
    messages: int
    unique_users: int


class ResponseTimeRow(_Deferred):
    intent: str | None
    avg_response_ms: float
    p95_response_ms: float
    count: int


class IdeaCategoryRow(_Deferred):
    category: str
    total_ideas: int
    selected_ideas: int
    selection_rate: float


class RecentIdeaRow(_Deferred):
    user_id: int
    title: str
    category: str
    user_selected: bool
    created_at: datetime
