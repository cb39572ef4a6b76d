"""Per-day rollups of the admin reports and the days they hold (lib/core/rollups.py keeps them)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, DateTime, Index, Integer, SmallInteger, String, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from lib.models.base import Base

# What the rollup tables hold, in the code that fills them (lib/core/rollups.py) and in the one
# version the database accepts on a mark (migration a9c0ffee0009): an older deployment's cron, still
# running while a new one migrates, cannot mark a day rolled into tables it does not fill. Bump it
# with a migration that deletes the older marks and moves the check.
ROLLUP_VERSION = 1


class StatsRolledDay(Base):
    """A UTC day of `source` whose rollup rows hold exactly its rows (triggers delete it on change)."""

    __tablename__ = "stats_rolled_days"
    __table_args__ = (CheckConstraint(f"version = {ROLLUP_VERSION}", name="current_version"),)

    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    version: Mapped[int] = mapped_column(SmallInteger, nullable=False)
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


class ActivityUserDay(Base):
    """activity_logs rows of one UTC day, counted by user (rows without a user are not counted)."""

    __tablename__ = "activity_user_daily"
    __table_args__ = (Index("ix_activity_user_daily_day_actions", "day", "actions"),)

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    actions: Mapped[int] = mapped_column(BigInteger, nullable=False)


class ChatbotDay(Base):
    """chatbot_history of one UTC day: its messages and how many users sent or got them."""

    __tablename__ = "chatbot_daily"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    messages: Mapped[int] = mapped_column(BigInteger, nullable=False)
    unique_users: Mapped[int] = mapped_column(BigInteger, nullable=False)


class ChatbotResponseDay(Base):
    """The bot's timed answers of one UTC day, by intent (NULL too): how many, their total, and every
    response time in ascending order. No primary key in the table (an intent may be NULL); roll_day
    writes each (day, intent) once."""

    __tablename__ = "chatbot_response_daily"
    __table_args__ = (Index("ix_chatbot_response_daily_day", "day"),)
    __mapper_args__ = {"primary_key": ["day", "intent"]}

    day: Mapped[date] = mapped_column(Date, nullable=False)
    intent: Mapped[str | None] = mapped_column(String(50))
    messages: Mapped[int] = mapped_column(BigInteger, nullable=False)
    total_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)
    times: Mapped[list[int]] = mapped_column(ARRAY(Integer), nullable=False)


class IdeaDay(Base):
    """Ideas generated on one UTC day, by category: how many, and how many were selected."""

    __tablename__ = "idea_daily"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    category: Mapped[str] = mapped_column(String(50), primary_key=True)
    total_ideas: Mapped[int] = mapped_column(BigInteger, nullable=False)
    selected_ideas: Mapped[int] = mapped_column(BigInteger, nullable=False)
