"""FastAPI peer: GET /api/projects/{id} and the list, FastAPI + AsyncSession, same SQL, same auth work."""

import base64
import json
import os
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Annotated, Any, Literal

import jwt
from fastapi import Depends, FastAPI, HTTPException, Query
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict
from sqlalchemy import BigInteger, Boolean, Date, DateTime, String, Text, select
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SECRET_KEY = os.environ["SECRET_KEY"]
DATABASE_URL = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+asyncpg://", 1)
POOL_SIZE = int(os.environ.get("DB_POOL_SIZE", "5"))


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(200))
    is_admin: Mapped[bool] = mapped_column(Boolean)
    is_active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(50))
    tech_stack: Mapped[list[Any]] = mapped_column(JSONB)
    deadline: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    search: Mapped[str] = mapped_column(TSVECTOR)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProjectOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    created_at: datetime
    updated_at: datetime
    id: int
    user_id: int
    title: str
    description: str
    category: str
    tech_stack: list[str]
    deadline: date | None
    status: Literal["draft", "submitted", "in_progress", "completed", "cancelled"]


class ProjectPage(BaseModel):
    items: list[ProjectOut]
    next_cursor: str | None


engine = create_async_engine(DATABASE_URL, pool_size=POOL_SIZE, max_overflow=0)
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)
bearer = HTTPBearer(auto_error=False)
app = FastAPI(title="Launchpad peer", openapi_url=None, docs_url=None, redoc_url=None)


async def get_db() -> AsyncIterator[AsyncSession]:
    async with SessionLocal() as session:
        yield session


Db = Annotated[AsyncSession, Depends(get_db)]


async def current_user(
    db: Db, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> User:
    if credentials is None:
        raise HTTPException(401, "Not authenticated")
    try:
        claims = jwt.decode(
            credentials.credentials,
            SECRET_KEY,
            algorithms=["HS256"],
            issuer="launchpad-api",
            options={"require": ["sub", "iat", "exp", "iss"]},
        )
        user_id = int(claims["sub"])
    except (jwt.InvalidTokenError, ValueError):
        raise HTTPException(401, "Invalid access token") from None
    user = await db.get(User, user_id)
    if user is None or not user.is_active:
        raise HTTPException(401, "Invalid access token")
    return user


Me = Annotated[User, Depends(current_user)]


def _visible(me: User) -> list[Any]:
    conditions: list[Any] = [] if me.is_admin else [Project.user_id == me.id]
    return [*conditions, Project.deleted_at.is_(None)]


@app.get("/api/projects/{project_id}", response_model=ProjectOut)
async def get_project(project_id: int, me: Me, db: Db) -> Any:
    project = await db.scalar(select(Project).where(Project.id == project_id, *_visible(me)))
    if project is None:
        raise HTTPException(404, f"Project {project_id} not found")
    return project


@app.get("/api/projects", response_model=ProjectPage)
async def list_projects(
    me: Me,
    db: Db,
    status: Literal["draft", "submitted", "in_progress", "completed", "cancelled"] | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Any:
    statement = select(Project).where(*_visible(me))
    if status:
        statement = statement.where(Project.status == status)
    statement = statement.order_by(Project.created_at.desc(), Project.id.desc()).limit(limit + 1)
    rows = list((await db.scalars(statement)).all())
    cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        raw = json.dumps([rows[-1].created_at.isoformat(), rows[-1].id]).encode()
        cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return ProjectPage(items=[ProjectOut.model_validate(row) for row in rows], next_cursor=cursor)
