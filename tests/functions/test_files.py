"""Files end to end over real HTTP: presigned PUT to the local S3 server, the check, download, removal."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from lib.rules import files as file_rules
from tests.functions.files_support import (
    DOCX_TYPE,
    FILE_KEYS,
    PDF_TYPE,
    declare,
    exists,
    file_row,
    key_of,
    make_synopsis_id,
    put,
    real_docx,
    real_pdf,
    uploaded,
    zip_of,
)
from tests.support import Account, activity_rows, assert_error

pytestmark = pytest.mark.usefixtures("storage")


async def test_a_real_pdf_goes_up_is_checked_and_comes_back_byte_for_byte(
    client: httpx.AsyncClient, alice: Account
) -> None:
    synopsis_id = await make_synopsis_id(client, alice)
    pdf = real_pdf()
    created = await declare(client, alice, synopsis_id, pdf, filename="Farm synopsis.pdf")
    assert set(created["file"]) == FILE_KEYS
    assert created["file"]["status"] == "pending"
    upload = created["upload"]
    assert upload["method"] == "PUT"
    assert upload["headers"] == {"Content-Type": PDF_TYPE, "Content-Length": str(len(pdf))}
    assert (await put(upload, pdf)).status_code == 200

    file_id = created["file"]["id"]
    completed = await client.post(f"/api/files/{file_id}/complete", headers=alice.headers)
    assert completed.status_code == 200, completed.text
    assert completed.json()["status"] == "ready"
    assert (await client.post(f"/api/files/{file_id}/complete", headers=alice.headers)).json()[
        "status"
    ] == "ready"

    shown = (await client.get(f"/api/files/{file_id}", headers=alice.headers)).json()
    assert shown["status"] == "ready" and shown["download_url"]
    async with httpx.AsyncClient(timeout=10) as storage:
        download = await storage.get(shown["download_url"])
    assert download.status_code == 200
    assert download.content == pdf
    assert download.headers["content-type"] == PDF_TYPE
    assert download.headers["content-disposition"] == 'attachment; filename="Farm synopsis.pdf"'


async def test_storage_refuses_a_put_with_another_type_or_a_larger_body(
    client: httpx.AsyncClient, alice: Account
) -> None:
    synopsis_id = await make_synopsis_id(client, alice)
    pdf = real_pdf()
    created = await declare(client, alice, synopsis_id, pdf)
    other_type = await put(created["upload"], pdf, **{"Content-Type": "text/html"})
    assert other_type.status_code == 403
    assert "SignatureDoesNotMatch" in other_type.text
    larger = pdf + b"%% and a megabyte more" * 1000
    bigger = await put(created["upload"], larger, **{"Content-Length": str(len(larger))})
    assert bigger.status_code == 403
    assert "SignatureDoesNotMatch" in bigger.text
    # Nothing reached the bucket: completing finds no object.
    assert not await exists(await key_of(created["file"]["id"]))
    response = await client.post(f"/api/files/{created['file']['id']}/complete", headers=alice.headers)
    assert_error(response, 409, "conflict")


async def test_complete_before_the_upload_is_a_409_and_the_file_stays_pending(
    client: httpx.AsyncClient, alice: Account
) -> None:
    synopsis_id = await make_synopsis_id(client, alice)
    created = await declare(client, alice, synopsis_id, real_pdf())
    file_id = created["file"]["id"]
    error = assert_error(
        await client.post(f"/api/files/{file_id}/complete", headers=alice.headers), 409, "conflict"
    )
    assert "not been uploaded" in error["message"]
    row = await file_row(file_id)
    assert row is not None and row.status == "pending"
    shown = (await client.get(f"/api/files/{file_id}", headers=alice.headers)).json()
    assert shown["download_url"] is None


async def test_a_declared_pdf_whose_bytes_are_not_a_pdf_is_a_409_and_its_object_is_removed(
    client: httpx.AsyncClient, alice: Account
) -> None:
    synopsis_id = await make_synopsis_id(client, alice)
    fake = b"<html>not a pdf at all</html>"
    file = await uploaded(client, alice, synopsis_id, fake)
    key = await key_of(file["id"])
    assert await exists(key)
    error = assert_error(
        await client.post(f"/api/files/{file['id']}/complete", headers=alice.headers), 409, "conflict"
    )
    assert "not a pdf" in error["message"]
    assert not await exists(key)
    row = await file_row(file["id"])
    assert row is not None and row.status == "pending"


async def test_a_docx_is_checked_by_its_parts_not_only_as_a_zip(
    client: httpx.AsyncClient, alice: Account
) -> None:
    synopsis_id = await make_synopsis_id(client, alice)
    good = await uploaded(
        client, alice, synopsis_id, real_docx(), content_type=DOCX_TYPE, filename="plan.docx"
    )
    response = await client.post(f"/api/files/{good['id']}/complete", headers=alice.headers)
    assert response.status_code == 200 and response.json()["status"] == "ready"

    plain_zip = zip_of({"notes.txt": "just a zip"})
    bad = await uploaded(client, alice, synopsis_id, plain_zip, content_type=DOCX_TYPE, filename="fake.docx")
    key = await key_of(bad["id"])
    assert_error(
        await client.post(f"/api/files/{bad['id']}/complete", headers=alice.headers), 409, "conflict"
    )
    assert not await exists(key)


async def test_another_users_file_is_a_404_everywhere(
    client: httpx.AsyncClient, alice: Account, bob: Account, admin: Account
) -> None:
    synopsis_id = await make_synopsis_id(client, alice)
    file = await uploaded(client, alice, synopsis_id, real_pdf())
    path = f"/api/files/{file['id']}"
    assert_error(await client.get(path, headers=bob.headers), 404, "not_found")
    assert_error(await client.post(f"{path}/complete", headers=bob.headers), 404, "not_found")
    assert_error(await client.delete(path, headers=bob.headers), 404, "not_found")
    assert (await client.get("/api/files", headers=bob.headers)).json()["items"] == []
    # Bob cannot attach a file to Alice's synopsis either.
    body = {"purpose": "synopsis", "entity_id": synopsis_id, "filename": "x.pdf", "content_type": PDF_TYPE}
    assert_error(
        await client.post("/api/files", json={**body, "size_bytes": 10}, headers=bob.headers),
        404,
        "not_found",
    )
    # Her file is untouched; an admin sees it, but completing is the uploader's.
    assert await exists(await key_of(file["id"]))
    assert (await client.get(path, headers=admin.headers)).status_code == 200
    assert_error(await client.post(f"{path}/complete", headers=admin.headers), 404, "not_found")
    assert (await client.post(f"{path}/complete", headers=alice.headers)).status_code == 200


async def test_an_expired_download_url_no_longer_works(
    client: httpx.AsyncClient, alice: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    synopsis_id = await make_synopsis_id(client, alice)
    file = await uploaded(client, alice, synopsis_id, real_pdf())
    assert (await client.post(f"/api/files/{file['id']}/complete", headers=alice.headers)).status_code == 200
    # The signature counts from its whole second: 3 s leave at least 2 for the first, working GET.
    monkeypatch.setattr(file_rules, "DOWNLOAD_SECONDS", 3)
    shown = (await client.get(f"/api/files/{file['id']}", headers=alice.headers)).json()
    async with httpx.AsyncClient(timeout=10) as storage:
        assert (await storage.get(shown["download_url"])).status_code == 200
        await asyncio.sleep(3.2)
        expired = await storage.get(shown["download_url"])
    assert expired.status_code == 403
    assert "Request has expired" in expired.text


async def test_delete_removes_the_object_and_the_row(client: httpx.AsyncClient, alice: Account) -> None:
    synopsis_id = await make_synopsis_id(client, alice)
    file = await uploaded(client, alice, synopsis_id, real_pdf())
    key = await key_of(file["id"])
    response = await client.delete(f"/api/files/{file['id']}", headers=alice.headers)
    assert response.status_code == 204
    assert not await exists(key)
    assert await file_row(file["id"]) is None
    assert_error(await client.get(f"/api/files/{file['id']}", headers=alice.headers), 404, "not_found")


async def test_upload_complete_and_delete_leave_activity_rows(
    client: httpx.AsyncClient, alice: Account
) -> None:
    synopsis_id = await make_synopsis_id(client, alice)
    file = await uploaded(client, alice, synopsis_id, real_pdf())
    await client.post(f"/api/files/{file['id']}/complete", headers=alice.headers)
    await client.delete(f"/api/files/{file['id']}", headers=alice.headers)
    rows = await activity_rows(entity_type="file")
    assert [(r.action, r.status, r.entity_id, r.user_id) for r in rows] == [
        ("create_file", "success", str(file["id"]), alice.id),
        ("complete_file", "success", str(file["id"]), alice.id),
        ("delete_file", "success", str(file["id"]), alice.id),
    ]
    assert rows[0].details is not None
    assert rows[0].details["synopsis_id"] == synopsis_id
    assert rows[0].details["content_type"] == PDF_TYPE


async def test_a_failed_complete_leaves_a_failed_activity_row(
    client: httpx.AsyncClient, alice: Account
) -> None:
    synopsis_id = await make_synopsis_id(client, alice)
    created = await declare(client, alice, synopsis_id, real_pdf())
    await client.post(f"/api/files/{created['file']['id']}/complete", headers=alice.headers)
    rows = await activity_rows(action="complete_file")
    assert [(r.status, r.entity_id) for r in rows] == [("failed", str(created["file"]["id"]))]


async def test_lists_filter_by_purpose_and_entity(
    client: httpx.AsyncClient, alice: Account, admin: Account
) -> None:
    synopsis_id = await make_synopsis_id(client, alice)
    first = await declare(client, alice, synopsis_id, real_pdf())
    project = (await client.get("/api/projects", headers=alice.headers)).json()["items"][0]["id"]
    second = await declare(client, alice, project, real_pdf(), purpose="project", filename="report.pdf")
    mine = (await client.get("/api/files", headers=alice.headers)).json()["items"]
    assert [f["id"] for f in mine] == [second["file"]["id"], first["file"]["id"]]
    only = await client.get(
        "/api/files", params={"purpose": "synopsis", "entity_id": synopsis_id}, headers=alice.headers
    )
    assert [f["id"] for f in only.json()["items"]] == [first["file"]["id"]]
    assert len((await client.get("/api/files", headers=admin.headers)).json()["items"]) == 2


async def test_an_object_of_another_size_is_a_409_and_is_removed(
    client: httpx.AsyncClient, alice: Account
) -> None:
    from lib.storage import objects
    from lib.storage.signing import presign

    synopsis_id = await make_synopsis_id(client, alice)
    pdf = real_pdf()
    created = await declare(client, alice, synopsis_id, pdf)
    key = await key_of(created["file"]["id"])
    # Someone holding the bucket's key (not a client's URL) writes a longer object under that key.
    longer = pdf + b"% trailing bytes"
    headers = {"Content-Type": PDF_TYPE, "Content-Length": str(len(longer))}
    url = presign(objects.credentials(), "PUT", key, expires=60, headers=headers)
    async with httpx.AsyncClient(timeout=10) as storage:
        assert (await storage.put(url, content=longer, headers=headers)).status_code == 200
    response = await client.post(f"/api/files/{created['file']['id']}/complete", headers=alice.headers)
    error = assert_error(response, 409, "conflict")
    assert f"declared as {len(pdf)} bytes but {len(longer)} were stored" in error["message"]
    assert not await exists(key)
