"""Shared schema pieces: strict input base, list query and page shapes, slug and text types."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from lib.core.limits import MAX_DB_ID, has_nul

T = TypeVar("T")

Slug = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        min_length=1,
        max_length=50,
        pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$",
    ),
]
# One plain address a mail can go to: no whitespace, control characters, or the characters that
# separate or quote addresses in a header (lib/mail refuses those as a recipient).
_ADDRESS_PART = r'[^@\s\x00-\x1f\x7f-\x9f,;<>()\[\]\\"]+'
MAX_EMAIL_LENGTH = 254  # users.email is varchar(254)


def _fits_once_lowered(value: str) -> str:
    """The limit again on the lower-cased address: pydantic checks it before lowering, and some
    letters grow (`İ` becomes `i` plus a combining dot), past what the column holds (a 500)."""
    if len(value) > MAX_EMAIL_LENGTH:
        raise ValueError(f"must be at most {MAX_EMAIL_LENGTH} characters once lower-cased")
    return value


Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        min_length=3,
        max_length=MAX_EMAIL_LENGTH,
        pattern=rf"^{_ADDRESS_PART}@{_ADDRESS_PART}\.{_ADDRESS_PART}$",
    ),
    AfterValidator(_fits_once_lowered),
]
Currency = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{3}$")]
DbId = Annotated[int, Field(ge=1, le=MAX_DB_ID)]
OUTSIDE_DATETIME_RANGE = "must fall within the years 1 to 9999 in UTC"


def in_utc(value: datetime) -> datetime:
    """`value` in UTC; one whose UTC value leaves years 1 to 9999 (`0001-01-01T00:00:00+23:59`) is a 422.

    Python cannot hold such a moment, so converting it (here, or when asyncpg encodes it) raises
    OverflowError, which no validator turns into a field error by itself.
    """
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(OUTSIDE_DATETIME_RANGE) from None


# Every datetime a client sends (query or body): with an offset, stored and compared in UTC.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(in_utc)]


class NoNul(BaseModel):
    """Refuses the NUL character in any string field: PostgreSQL text cannot hold it (a 422, not a 500)."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if has_nul(value):
            raise ValueError("must not contain the NUL character")
        return value


def _property_names(model: type[BaseModel]) -> dict[str, str]:
    """Field name -> its key in the validation JSON schema (the alias where one is set)."""
    return {name: field.alias or name for name, field in model.model_fields.items()}


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` minus its `null` branch (`anyOf [X, null]` -> `X`; `type [t, "null"]` -> `t`)."""
    schema = dict(schema)
    if isinstance(schema.get("type"), list):
        types = [t for t in schema["type"] if t != "null"]
        schema["type"] = types[0] if len(types) == 1 else types
    if "anyOf" in schema:
        branches = [b for b in schema.pop("anyOf") if b != {"type": "null"}]
        if len(branches) == 1:
            # The field's own keywords (title, description) win over the branch's.
            return {**branches[0], **schema}
        schema["anyOf"] = branches
    return schema


class Input(NoNul):
    """Base of every request body: unknown fields are errors, text is trimmed, NUL is refused.

    Its JSON schema (validation mode) states a default in the description, not as `default`:
    the server fills it in when the field is omitted, and generators read `default` as "always
    present" (openapi-typescript makes such a field required), which is true of a response only.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(core_schema)
        if handler.mode == "validation":
            cls._describe_request(handler.resolve_ref_schema(json_schema).get("properties", {}))
        return json_schema

    @classmethod
    def _describe_request(cls, properties: dict[str, Any]) -> None:
        for prop in properties.values():
            if "default" in prop:
                note = f"Default: `{json.dumps(prop.pop('default'))}`."
                prop["description"] = (
                    f"{prop['description'].rstrip('.')}. {note}" if "description" in prop else note
                )


class Patch(Input):
    """Base of PATCH bodies: only the fields sent change; `null` only where a column allows it.

    Its JSON schema says so: no field is required and none has a default (omitted = unchanged),
    and only the fields in `NULLABLE` accept `null`; the others' `null` branch is dropped.
    """

    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def _describe_request(cls, properties: dict[str, Any]) -> None:
        for name, key in _property_names(cls).items():
            if key not in properties:
                continue
            prop = {k: v for k, v in properties[key].items() if k != "default"}
            properties[key] = prop if name in cls.NULLABLE else _without_null(prop)

    @field_validator("*", mode="before")
    @classmethod
    def _null_only_where_allowed(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.NULLABLE:
            raise ValueError("must not be null")
        return value

    def changes(self) -> dict[str, Any]:
        """The fields the client actually sent."""
        return self.model_dump(exclude_unset=True)


class Output(BaseModel):
    """Base of every response model: built straight from ORM rows.

    Responses are dumped whole (lib/web/responses.py), so in its serialization schema every
    field is required, defaults included.
    """

    model_config = ConfigDict(
        from_attributes=True, defer_build=True, json_schema_serialization_defaults_required=True
    )


class ListQuery(NoNul):
    """`limit` and `cursor` of every collection; subclasses add the filters."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, defer_build=True)

    limit: int = Field(20, ge=1, le=100, description="Page size")
    cursor: str | None = Field(None, max_length=200, description="Opaque cursor from `next_cursor`")


class Page(BaseModel, Generic[T]):
    """One page of a collection, newest first.

    Built on first use, like its items (`Output`): a function's `Page[X]` rows cost no schema at load.
    """

    model_config = ConfigDict(json_schema_serialization_defaults_required=True, defer_build=True)

    items: list[T]
    next_cursor: str | None


class Timestamps(Output):
    created_at: datetime
    updated_at: datetime
