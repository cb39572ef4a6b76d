"""Project ideas: refining one makes a new idea chained to it, by the provider or built-in."""

from __future__ import annotations

import json

import respx
from sqlalchemy import select

from lib.core.db import session
from lib.models.activity_logs import ActivityLog
from tests.functions.ai_support import AI_MODEL, AI_URL, completion
from tests.functions.ideas_support import generate, provider_idea, stored_ideas


async def test_refine_twice_builds_a_chain(client, alice) -> None:  # type: ignore[no-untyped-def]
    (original,) = (await generate(client, alice, count=1, complexity="advanced")).json()["ideas"]
    dropped = original["tech_stack"][1]
    response = await client.post(
        f"/api/ideas/{original['id']}/refine",
        json={"instructions": f"Make it simpler and use Flask without {dropped}"},
        headers=alice.headers,
    )
    assert response.status_code == 201, response.text
    first = response.json()
    assert (first["parent_id"], first["refinement_count"]) == (original["id"], 1)
    assert first["id"] != original["id"] and first["source"] == "builtin"
    assert first["title"].startswith(original["title"]) and "Refined" in first["title"]
    assert first["complexity"] == "intermediate"
    assert "Flask" in first["tech_stack"] and dropped not in first["tech_stack"]
    assert first["category"] == original["category"]
    response = await client.post(
        f"/api/ideas/{first['id']}/refine",
        json={"instructions": "Add a React Native app for field staff"},
        headers=alice.headers,
    )
    assert response.status_code == 201, response.text
    second = response.json()
    assert (second["parent_id"], second["refinement_count"]) == (first["id"], 2)
    assert "React Native" in second["tech_stack"] and "Flask" in second["tech_stack"]
    assert second["title"].count("Refined") == 1  # the label is replaced, not stacked
    rows = {row.id: row for row in await stored_ideas(alice.id)}
    assert len(rows) == 3
    assert rows[second["id"]].parent_id == first["id"] and rows[first["id"]].parent_id == original["id"]
    assert rows[second["id"]].prompt == "Add a React Native app for field staff"
    async with session() as db:
        logged = (
            await db.execute(
                select(ActivityLog.action, ActivityLog.entity_id, ActivityLog.user_id)
                .where(ActivityLog.entity_type == "idea")
                .order_by(ActivityLog.id)
            )
        ).all()
    assert [tuple(row) for row in logged] == [
        ("generate_ideas", str(original["id"]), alice.id),
        ("refine_idea", str(first["id"]), alice.id),
        ("refine_idea", str(second["id"]), alice.id),
    ]


async def test_refine_with_provider_and_with_a_bad_provider_answer(client, alice, use_provider) -> None:  # type: ignore[no-untyped-def]
    (original,) = (await generate(client, alice, count=1)).json()["ideas"]
    use_provider()
    with respx.mock() as router:
        route = router.post(AI_URL).mock(return_value=completion(json.dumps(provider_idea("Sharper Idea"))))
        response = await client.post(
            f"/api/ideas/{original['id']}/refine",
            json={"instructions": "sharper focus"},
            headers=alice.headers,
        )
    assert response.status_code == 201, response.text
    refined = response.json()
    assert (refined["title"], refined["source"], refined["model"]) == ("Sharper Idea", "provider", AI_MODEL)
    assert original["title"] in route.calls.last.request.content.decode()
    with respx.mock() as router:
        router.post(AI_URL).mock(return_value=completion('{"title": 42}'))
        response = await client.post(
            f"/api/ideas/{refined['id']}/refine",
            json={"instructions": "smaller scope"},
            headers=alice.headers,
        )
    assert response.status_code == 201
    assert (response.json()["source"], response.json()["refinement_count"]) == ("builtin", 2)


async def test_bad_refine_input_is_422(client, alice) -> None:  # type: ignore[no-untyped-def]
    (idea,) = (await generate(client, alice, count=1)).json()["ideas"]
    for instructions in ("", "x" * 2001):
        response = await client.post(
            f"/api/ideas/{idea['id']}/refine", json={"instructions": instructions}, headers=alice.headers
        )
        assert response.status_code == 422
    assert len(await stored_ideas()) == 1
