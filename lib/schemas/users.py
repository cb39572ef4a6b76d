"""Schemas for accounts: register, login, the user, and the token response."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from lib.schemas.common import Email, Input, Output


class RegisterIn(Input):
    email: Email
    # Argon2 hashes any length, but a 1 MB password is a denial-of-service, not a password.
    password: str = Field(min_length=8, max_length=256)
    full_name: str = Field(min_length=1, max_length=200)


class LoginIn(Input):
    email: Email
    password: str = Field(min_length=1, max_length=256)


class UserOut(Output):
    id: int
    email: str
    full_name: str
    is_admin: bool
    created_at: datetime


class TokenOut(Output):
    user: UserOut
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
