"""Per-day rollups of the admin reports and the days they hold (lib/core/rollups.py keeps them)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column

from lib.models.base import Base


class StatsRolledDay(Base):
    """A UTC day of `source` whose rollup rows hold exactly its rows (triggers delete it on change)."""

    __tablename__ = "stats_rolled_days"

    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    rolled_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class ActivityDay(Base):
    """activity_logs rows of one UTC day, counted by status and action."""

    __tablename__ = "activity_daily"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    status: Mapped[str] = mapped_column(String(10), primary_key=True)
    action: Mapped[str] = mapped_column(String(100), primary_key=True)
    actions: Mapped[int] = mapped_column(BigInteger, nullable=False)


class ChatbotDay(Base):
    """chatbot_history of one UTC day: its messages and how many users sent or got them."""

    __tablename__ = "chatbot_daily"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    messages: Mapped[int] = mapped_column(BigInteger, nullable=False)
    unique_users: Mapped[int] = mapped_column(BigInteger, nullable=False)


class IdeaDay(Base):
    """Ideas generated on one UTC day, by category: how many, and how many were selected."""

    __tablename__ = "idea_daily"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    category: Mapped[str] = mapped_column(String(50), primary_key=True)
    total_ideas: Mapped[int] = mapped_column(BigInteger, nullable=False)
    selected_ideas: Mapped[int] = mapped_column(BigInteger, nullable=False)
