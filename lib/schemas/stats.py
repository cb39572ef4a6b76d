"""Schemas for the admin reports: their parameters and the shape of each report's rows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

RowT = TypeVar("RowT")
# Every model here builds its schema on first use (defer_build): loading api/stats.py builds none.


class DaysQuery(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)
    days: int = Field(30, ge=1, le=365, description="How many days back")


class TopQuery(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)
    days: int = Field(7, ge=1, le=365, description="How many days back")
    limit: int = Field(10, ge=1, le=100, description="How many rows")


class LimitQuery(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)
    limit: int = Field(20, ge=1, le=100, description="How many rows")


class Report(BaseModel, Generic[RowT]):
    model_config = ConfigDict(defer_build=True)
    report: str
    params: dict[str, Any]
    rows: list[RowT]


class ActiveUserRow(BaseModel):
    model_config = ConfigDict(defer_build=True)
    user_id: int
    email: str
    actions: int


class FailedActionRow(BaseModel):
    model_config = ConfigDict(defer_build=True)
    action: str
    status: str
    count: int


class ChatbotDayRow(BaseModel):
    model_config = ConfigDict(defer_build=True)
    date: date
    messages: int
    unique_users: int


class ResponseTimeRow(BaseModel):
    model_config = ConfigDict(defer_build=True)
    intent: str | None
    avg_response_ms: float
    p95_response_ms: float
    count: int


class IdeaCategoryRow(BaseModel):
    model_config = ConfigDict(defer_build=True)
    category: str
    total_ideas: int
    selected_ideas: int
    selection_rate: float


class RecentIdeaRow(BaseModel):
    model_config = ConfigDict(defer_build=True)
    user_id: int
    title: str
    category: str
    user_selected: bool
    created_at: datetime
