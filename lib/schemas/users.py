"""Schemas for accounts: register, login, reset and verification links, the profile, the admin's user list."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, Literal

from pydantic import Field, StringConstraints

from lib.schemas.common import Email, Input, ListQuery, Output, Patch

# Argon2 hashes any length, but a 1 MB password is a denial-of-service, not a password.
NewPassword = Annotated[str, Field(min_length=8, max_length=256)]
AnyPassword = Annotated[str, Field(min_length=1, max_length=256)]
FullName = Annotated[str, Field(min_length=1, max_length=200)]
# What the mail's link carries: secrets.token_urlsafe(32) is 43 characters of [A-Za-z0-9_-].
LinkToken = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")
]
Phone = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=3, max_length=32, pattern=r"^\+?[0-9(][0-9 ()-]*[0-9]$"
    ),
]
ProfileText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
GraduationYear = Annotated[int, Field(strict=True, ge=1950, le=2100)]


class RegisterIn(Input):
    email: Email
    password: NewPassword
    full_name: FullName


class LoginIn(Input):
    email: Email
    password: AnyPassword


class PasswordResetIn(Input):
    email: Email


class PasswordResetConfirmIn(Input):
    token: LinkToken
    password: NewPassword


class VerifyEmailIn(Input):
    token: LinkToken


class ProfileUpdate(Patch):
    NULLABLE: ClassVar[frozenset[str]] = frozenset({"phone", "college", "department", "graduation_year"})

    full_name: FullName | None = None
    phone: Phone | None = None
    college: ProfileText | None = None
    department: ProfileText | None = None
    graduation_year: GraduationYear | None = None
    email_notifications: bool | None = Field(None, strict=True)


class ChangePasswordIn(Input):
    current_password: AnyPassword
    new_password: NewPassword


class DeleteAccountIn(Input):
    password: AnyPassword


class UserOut(Output):
    id: int
    email: str
    full_name: str
    is_admin: bool
    is_active: bool
    email_verified: bool
    phone: str | None
    college: str | None
    department: str | None
    graduation_year: int | None
    email_notifications: bool
    last_login_at: datetime | None
    created_at: datetime


class TokenOut(Output):
    user: UserOut
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class AcceptedOut(Output):
    """A request taken in; what follows happens by mail."""

    status: Literal["accepted"] = "accepted"


# --- the admin's view of the users ------------------------------------------------------------------


class UserQuery(ListQuery):
    q: str | None = Field(None, min_length=1, max_length=200, description="Part of the email or name")
    is_active: bool | None = None
    is_admin: bool | None = None
    email_verified: bool | None = None


class UserCounts(Output):
    projects: int
    orders: int
    synopses: int
    meetings: int


class UserDetailOut(UserOut):
    counts: UserCounts


class UserAdminUpdate(Patch):
    is_active: bool | None = Field(None, strict=True)
    is_admin: bool | None = Field(None, strict=True)
