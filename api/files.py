"""Files: POST/GET /api/files, POST /api/files/{id}/complete, GET/DELETE /api/files/{id}."""

import lib.startup  # noqa: F401  (first: no garbage collection while this function loads)

from lib.core import config
from lib.core.errors import field_error
from lib.models.files import File
from lib.rules import files
from lib.rules.ownership import VisibleList, get_owned
from lib.schemas.common import Page
from lib.schemas.files import FileCreate, FileDetailOut, FileOut, FileQuery, FileUploadOut, UploadOut
from lib.web.app import create_app, lambda_handler
from lib.web.endpoints import Call, delete, get, post

MIB = 1024 * 1024
# The files the caller may see (their own; an admin: all), narrowed by the query.
FILES_PAGE = VisibleList(File, FileOut, ("purpose", "entity_id", "user_id"), always=(files.NOT_DELETING,))


async def create_file(call: Call[FileCreate, None]) -> FileUploadOut:
    # Late imports (`python -X importtime`): the owners' models, ~10 ms of a cold start, only for a new
    # upload; listing, reading and deleting files need neither.
    from lib.models.projects import Project
    from lib.models.synopsis import Synopsis

    body = call.body
    max_mb = config.get_settings().file_max_mb
    if body.size_bytes > max_mb * MIB:
        raise field_error(["body", "size_bytes"], f"A file may be at most {max_mb} MiB")
    owner = Synopsis if body.purpose == "synopsis" else Project
    # Only the caller's own synopsis or project takes a file: anyone else's does not exist for them.
    await get_owned(call.db, owner, body.entity_id, call.me, admin_sees_all=False)
    key = files.storage_key(body.purpose, call.me.id, body.content_type)
    file = await call.insert(File(user_id=call.me.id, storage_key=key, **body.model_dump()))
    call.report(
        purpose=body.purpose,
        **{f"{body.purpose}_id": body.entity_id},
        content_type=body.content_type,
        size_bytes=body.size_bytes,
    )
    return FileUploadOut(
        file=FileOut.model_validate(file), upload=UploadOut.model_validate(files.upload(file))
    )


async def complete_file(call: Call[None, None]) -> FileOut:
    # Only the uploader completes: the check is part of their upload, not an admin's review. The row
    # stays locked while storage is asked (two or three small requests, 5 s timeout each), so a
    # DELETE racing the check waits for it instead of deleting a row being marked ready.
    file = await files.get_file(call.db, call.params["id"], call.me, admin_sees_all=False, for_update=True)
    call.report(entity_id=file.id, content_type=file.content_type, size_bytes=file.size_bytes)
    return FileOut.model_validate(await files.complete(call.db, file))


async def list_files(call: Call[None, FileQuery]) -> Page[FileOut]:
    return await FILES_PAGE.page(call)


async def get_file(call: Call[None, None]) -> FileDetailOut:
    file = await files.get_file(call.db, call.params["id"], call.me)
    url, expires_at = files.download(file) if file.status == "ready" else (None, None)
    out = FileOut.model_validate(file).model_dump()
    return FileDetailOut.model_validate({**out, "download_url": url, "download_expires_at": expires_at})


async def delete_file(call: Call[None, None]) -> None:
    file = await files.get_file(call.db, call.params["id"], call.me, for_update=True)
    call.report(entity_id=file.id, owner_id=file.user_id, status=file.status)
    await files.remove(call.db, file)


ENDPOINTS = [
    post(
        "/api/files",
        create_file,
        transaction=False,
        response=FileUploadOut,
        entity="file",
        errors=(404, 422),
        summary="Declare an upload; get the presigned PUT that sends its bytes to storage",
    ),
    post(
        "/api/files/{id:int}/complete",
        complete_file,
        status=200,
        response=FileOut,
        entity="file",
        errors=(404, 409, 503),
        summary="Check the stored object and mark the file ready",
    ),
    get("/api/files", list_files, reads=FILES_PAGE, response=Page[FileOut], summary="List files"),
    get(
        "/api/files/{id:int}",
        get_file,
        response=FileDetailOut,
        entity="file",
        errors=(404,),
        summary="A file, with a short-lived download URL once it is ready",
    ),
    delete(
        "/api/files/{id:int}",
        delete_file,
        entity="file",
        errors=(404, 503),
        summary="Delete a file and its stored object",
    ),
]

app = create_app(ENDPOINTS)
__getattr__ = lambda_handler(app)  # `handler` for AWS Lambda, built on first use
