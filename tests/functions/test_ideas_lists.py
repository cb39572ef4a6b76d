"""Project ideas: listed with filters, selected and rated by their owner, read by an admin."""

from __future__ import annotations

import pytest

from tests.functions.ideas_support import generate, stored_ideas


@pytest.mark.parametrize("rating", [0, 6, -1, "five"])
async def test_rating_out_of_range_is_422(client, alice, rating: object) -> None:  # type: ignore[no-untyped-def]
    (idea,) = (await generate(client, alice, count=1)).json()["ideas"]
    response = await client.patch(f"/api/ideas/{idea['id']}", json={"rating": rating}, headers=alice.headers)
    assert response.status_code == 422
    assert ["body", "rating"] in [item["loc"] for item in response.json()["error"]["details"]]
    assert (await stored_ideas(alice.id))[0].rating is None


async def test_select_and_rate_an_idea(client, alice) -> None:  # type: ignore[no-untyped-def]
    (idea,) = (await generate(client, alice, count=1)).json()["ideas"]
    response = await client.patch(
        f"/api/ideas/{idea['id']}", json={"rating": 5, "user_selected": True}, headers=alice.headers
    )
    assert response.status_code == 200, response.text
    assert (response.json()["rating"], response.json()["user_selected"]) == (5, True)
    assert response.json()["updated_at"] >= idea["updated_at"]
    row = (await stored_ideas(alice.id))[0]
    assert (row.rating, row.user_selected) == (5, True)
    response = await client.patch(f"/api/ideas/{idea['id']}", json={"rating": None}, headers=alice.headers)
    assert response.status_code == 200 and response.json()["rating"] is None
    response = await client.patch(
        f"/api/ideas/{idea['id']}", json={"user_selected": None}, headers=alice.headers
    )
    assert response.status_code == 422
    response = await client.patch(
        f"/api/ideas/{idea['id']}", json={"user_selected": "yes"}, headers=alice.headers
    )
    assert response.status_code == 422
    row = (await stored_ideas(alice.id))[0]
    assert (row.rating, row.user_selected) == (None, True)


async def test_another_users_idea_is_not_found(client, alice, bob) -> None:  # type: ignore[no-untyped-def]
    (idea,) = (await generate(client, alice, count=1)).json()["ideas"]
    url = f"/api/ideas/{idea['id']}"
    assert (await client.get(url, headers=bob.headers)).status_code == 404
    assert (await client.patch(url, json={"rating": 1}, headers=bob.headers)).status_code == 404
    response = await client.post(f"{url}/refine", json={"instructions": "mine now"}, headers=bob.headers)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert len(await stored_ideas()) == 1 and (await stored_ideas())[0].rating is None
    assert (await client.get(url, headers=alice.headers)).json()["title"] == idea["title"]
    assert (await client.get("/api/ideas/999999", headers=alice.headers)).status_code == 404


async def test_admin_reads_but_does_not_rate_or_refine(client, alice, admin) -> None:  # type: ignore[no-untyped-def]
    (idea,) = (await generate(client, alice, count=1)).json()["ideas"]
    url = f"/api/ideas/{idea['id']}"
    response = await client.get(url, headers=admin.headers)
    assert response.status_code == 200 and response.json()["user_id"] == alice.id
    response = await client.patch(url, json={"rating": 1}, headers=admin.headers)
    assert response.status_code == 403
    response = await client.post(f"{url}/refine", json={"instructions": "x"}, headers=admin.headers)
    assert response.status_code == 403
    assert len(await stored_ideas()) == 1 and (await stored_ideas())[0].rating is None
    # The admin's own list holds only the admin's ideas.
    assert (await client.get("/api/ideas", headers=admin.headers)).json()["items"] == []


async def test_list_filters_and_pagination(client, alice, bob) -> None:  # type: ignore[no-untyped-def]
    ml = (await generate(client, alice, count=3)).json()["ideas"]
    web = (await generate(client, alice, category="web", count=2)).json()["ideas"]
    await generate(client, bob, count=2)
    await client.patch(f"/api/ideas/{ml[0]['id']}", json={"user_selected": True}, headers=alice.headers)

    everything = (await client.get("/api/ideas?limit=100", headers=alice.headers)).json()
    assert [i["id"] for i in everything["items"]] == sorted((i["id"] for i in ml + web), reverse=True)
    only_web = (await client.get("/api/ideas?category=web", headers=alice.headers)).json()["items"]
    assert {i["id"] for i in only_web} == {i["id"] for i in web}
    selected = (await client.get("/api/ideas?selected=true", headers=alice.headers)).json()["items"]
    assert [i["id"] for i in selected] == [ml[0]["id"]]
    unselected = (await client.get("/api/ideas?selected=false", headers=alice.headers)).json()["items"]
    assert len(unselected) == 4

    seen: list[int] = []
    cursor = None
    while True:
        url = "/api/ideas?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = (await client.get(url, headers=alice.headers)).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [i["id"] for i in everything["items"]]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("selected=maybe", "selected"),
        ("category=Not A Slug", "category"),
        ("cursor=x", "cursor"),
    ],
)
async def test_list_rejects_bad_filters(client, alice, query: str, field: str) -> None:  # type: ignore[no-untyped-def]
    response = await client.get(f"/api/ideas?{query}", headers=alice.headers)
    assert response.status_code == 422
    assert ["query", field] in [item["loc"] for item in response.json()["error"]["details"]]
