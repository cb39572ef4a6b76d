"""Schemas for the admin reports: their parameters and the shape of each report's rows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

RowT = TypeVar("RowT")


class DaysQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    days: int = Field(30, ge=1, le=365, description="How many days back")


class TopQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    days: int = Field(7, ge=1, le=365, description="How many days back")
    limit: int = Field(10, ge=1, le=100, description="How many rows")


class LimitQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    limit: int = Field(20, ge=1, le=100, description="How many rows")


class Report(BaseModel, Generic[RowT]):
    report: str
    params: dict[str, Any]
    rows: list[RowT]


class ActiveUserRow(BaseModel):
    user_id: int
    email: str
    actions: int


class FailedActionRow(BaseModel):
    action: str
    status: str
    count: int


class ChatbotDayRow(BaseModel):
    date: date
    messages: int
    unique_users: int


class ResponseTimeRow(BaseModel):
    intent: str | None
    avg_response_ms: float
    p95_response_ms: float
    count: int


class IdeaCategoryRow(BaseModel):
    category: str
    total_ideas: int
    selected_ideas: int
    selection_rate: float


class RecentIdeaRow(BaseModel):
    user_id: int
    title: str
    category: str
    user_selected: bool
    created_at: datetime
