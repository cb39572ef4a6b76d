"""Schemas for files: an upload's declaration, the presigned upload it gets, the file as shown."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import Field, model_validator

from lib.models.statuses import FileContentType, FilePurpose
from lib.schemas.common import DbId, Input, ListQuery, Output, Timestamps

# The names a file may end in, by its declared type: the download is named after the upload.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (".pptx",),
    "application/zip": (".zip",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
}
# S3 allows 5 GB in one PUT; FILE_MAX_MB (25 by default) is the limit a request is checked against.
MAX_SINGLE_PUT = 5_000 * 1024 * 1024
_FILENAME = re.compile(r"^[^/\\\x00-\x1f\x7f]+$")


class FileCreate(Input):
    purpose: FilePurpose = Field(description="What the file belongs to: a synopsis or a project")
    entity_id: DbId = Field(description="The synopsis or project id; it must be the caller's own")
    filename: str = Field(min_length=1, max_length=200, pattern=_FILENAME.pattern)
    content_type: FileContentType
    size_bytes: int = Field(ge=1, le=MAX_SINGLE_PUT, description="Exact size; at most FILE_MAX_MB MiB")

    @model_validator(mode="after")
    def _name_fits_type(self) -> FileCreate:
        if not self.filename.lower().endswith(EXTENSIONS[self.content_type]):
            allowed = " or ".join(EXTENSIONS[self.content_type])
            raise ValueError(f"filename must end in {allowed} for {self.content_type}")
        return self


class FileQuery(ListQuery):
    purpose: FilePurpose | None = None
    entity_id: DbId | None = Field(None, description="Files of one synopsis or project")
    user_id: DbId | None = Field(None, description="Admins only: one user's files")


class FileOut(Timestamps):
    id: int
    user_id: int
    purpose: FilePurpose
    entity_id: int
    filename: str
    content_type: FileContentType
    size_bytes: int
    status: Literal["pending", "ready"]


class FileDetailOut(FileOut):
    download_url: str | None = Field(description="Short-lived GET URL of the bytes; null until ready")
    download_expires_at: datetime | None


class UploadOut(Output):
    method: Literal["PUT"]
    url: str
    headers: dict[str, str] = Field(description="Send exactly these headers: they are part of the signature")
    expires_at: datetime


class FileUploadOut(Output):
    file: FileOut
    upload: UploadOut
