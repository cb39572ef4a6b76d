"""What the tests/functions/test_files*.py files share: real documents, uploads over real HTTP, rows."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import httpx
from sqlalchemy import select

from lib.core.db import session
from lib.models.files import File
from tests.support import Account, make_project

CRON = {"Authorization": "Bearer test-cron-secret-value"}
PDF_TYPE = "application/pdf"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FILE_KEYS = {
    "id",
    "user_id",
    "purpose",
    "entity_id",
    "filename",
    "content_type",
    "size_bytes",
    "status",
    "created_at",
    "updated_at",
}


def real_pdf(text: str = "Smart farm synopsis") -> bytes:
    """A complete one-page PDF (header, catalog, page, font, content stream, xref table, trailer)."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def zip_of(parts: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def real_docx() -> bytes:
    """A minimal Word document: the content types, the package relation and the document part."""
    return zip_of(
        {
            "[Content_Types].xml": (
                '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>'
            ),
            "_rels/.rels": '<?xml version="1.0"?><Relationships/>',
            "word/document.xml": '<?xml version="1.0"?><w:document><w:body>Hi</w:body></w:document>',
        }
    )


async def make_synopsis_id(client: httpx.AsyncClient, account: Account) -> int:
    project_id = await make_project(client, account)
    response = await client.post(
        "/api/synopsis",
        json={"project_id": project_id, "title": "Smart farm", "abstract": "Sensors"},
        headers=account.headers,
    )
    assert response.status_code == 201, response.text
    synopsis_id: int = response.json()["id"]
    return synopsis_id


async def declare(
    client: httpx.AsyncClient,
    account: Account,
    entity_id: int,
    data: bytes,
    *,
    content_type: str = PDF_TYPE,
    filename: str = "synopsis.pdf",
    purpose: str = "synopsis",
) -> dict[str, Any]:
    """POST /api/files for `data`; the 201 body ({file, upload})."""
    body = {
        "purpose": purpose,
        "entity_id": entity_id,
        "filename": filename,
        "content_type": content_type,
        "size_bytes": len(data),
    }
    response = await client.post("/api/files", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def put(upload: dict[str, Any], data: bytes, **headers: str) -> httpx.Response:
    """The client's PUT to storage over real HTTP, with the headers the API said (or others)."""
    sent = {**upload["headers"], **headers}
    async with httpx.AsyncClient(timeout=10) as storage:
        return await storage.request(upload["method"], upload["url"], content=data, headers=sent)


async def uploaded(
    client: httpx.AsyncClient, account: Account, entity_id: int, data: bytes, **kw: Any
) -> dict[str, Any]:
    """Declared and PUT (not completed): the file as POST /api/files returned it."""
    created = await declare(client, account, entity_id, data, **kw)
    response = await put(created["upload"], data)
    assert response.status_code == 200, response.text
    file: dict[str, Any] = created["file"]
    return file


async def file_row(file_id: int) -> File | None:
    async with session() as db:
        return await db.scalar(select(File).where(File.id == file_id))


async def key_of(file_id: int) -> str:
    row = await file_row(file_id)
    assert row is not None
    return row.storage_key


async def exists(key: str) -> bool:
    """Whether storage holds object `key` (asked over HTTP, as the API asks)."""
    from lib.storage import objects

    return await objects.stat(key) is not None
