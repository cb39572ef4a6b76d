"""What POST /api/files refuses before anything is signed: sizes, types, names, other people's rows."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest

from tests.functions.files_support import PDF_TYPE, make_synopsis_id
from tests.support import Account, assert_error, error_locs


def _body(entity_id: int, **changes: Any) -> dict[str, Any]:
    body = {
        "purpose": "synopsis",
        "entity_id": entity_id,
        "filename": "synopsis.pdf",
        "content_type": PDF_TYPE,
        "size_bytes": 1000,
    }
    return {**body, **changes}


async def test_a_file_over_file_max_mb_is_refused(
    client: httpx.AsyncClient, alice: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lib.core import config

    synopsis_id = await make_synopsis_id(client, alice)
    too_big = await client.post(
        "/api/files", json=_body(synopsis_id, size_bytes=25 * 1024 * 1024 + 1), headers=alice.headers
    )
    assert error_locs(too_big) == [("body", "size_bytes")]
    ok = await client.post(
        "/api/files", json=_body(synopsis_id, size_bytes=25 * 1024 * 1024), headers=alice.headers
    )
    assert ok.status_code == 201
    settings = dataclasses.replace(config.get_settings(), file_max_mb=1)
    monkeypatch.setattr(config, "get_settings", lambda: settings)
    smaller = await client.post(
        "/api/files", json=_body(synopsis_id, size_bytes=2 * 1024 * 1024), headers=alice.headers
    )
    assert error_locs(smaller) == [("body", "size_bytes")]


@pytest.mark.parametrize(
    ("changes", "loc"),
    [
        ({"content_type": "text/html", "filename": "page.html"}, ("body", "content_type")),
        ({"content_type": "image/png"}, ("body",)),  # synopsis.pdf is no png
        ({"filename": "../../etc/passwd.pdf"}, ("body", "filename")),
        ({"filename": "a\nb.pdf"}, ("body", "filename")),
        ({"size_bytes": 0}, ("body", "size_bytes")),
        ({"purpose": "order"}, ("body", "purpose")),
    ],
)
async def test_bad_declarations_are_422(
    client: httpx.AsyncClient, alice: Account, changes: dict[str, Any], loc: tuple[str, ...]
) -> None:
    response = await client.post("/api/files", json=_body(1, **changes), headers=alice.headers)
    assert error_locs(response) == [loc]


async def test_a_deleted_project_takes_no_file(client: httpx.AsyncClient, alice: Account) -> None:
    project_id = (
        await client.post("/api/projects", json={"title": "Gone", "category": "web"}, headers=alice.headers)
    ).json()["id"]
    assert (await client.delete(f"/api/projects/{project_id}", headers=alice.headers)).status_code == 204
    body = _body(project_id, purpose="project")
    assert_error(await client.post("/api/files", json=body, headers=alice.headers), 404, "not_found")
