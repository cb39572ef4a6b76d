"""Admin reports: exact rows over a small data set with known answers, and their guards."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from lib.core.db import session
from lib.models.activity_logs import ActivityLog
from lib.models.chatbot_history import ChatbotMessage
from lib.models.idea_generation_history import Idea
from lib.models.stats_rollups import ROLLUP_VERSION, IdeaDay, StatsRolledDay

NOW = datetime.now(UTC)


def ago(days: float = 0, hours: float = 0) -> datetime:
    return NOW - timedelta(days=days, hours=hours)


def on_day(days: int, fraction: float) -> datetime:
    """A moment `fraction` of the way through the UTC day `days` ago; today, through the part of it
    that has passed. Unlike `ago`, it stays on its day whatever the hour the suite runs at."""
    now = datetime.now(UTC)
    midnight = datetime.combine(now.date() - timedelta(days=days), datetime.min.time(), UTC)
    return midnight + (now - midnight if days == 0 else timedelta(days=1)) * fraction


@pytest.fixture
async def dataset(client, alice, bob, admin):  # type: ignore[no-untyped-def]
    """Alice: 3 recent actions + 1 old; Bob: 2 recent (one failed, one error); chat and ideas."""
    session_a, session_b = uuid.uuid4(), uuid.uuid4()
    async with session() as db:
        await db.execute(
            insert(ActivityLog),
            [
                {"user_id": alice.id, "action": "create_project", "status": "success", "created_at": ago(1)},
                {"user_id": alice.id, "action": "create_project", "status": "success", "created_at": ago(2)},
                {"user_id": alice.id, "action": "login", "status": "failed", "created_at": ago(3)},
                {"user_id": alice.id, "action": "login", "status": "failed", "created_at": ago(40)},
                {"user_id": bob.id, "action": "create_order", "status": "error", "created_at": ago(1)},
                {"user_id": bob.id, "action": "login", "status": "failed", "created_at": ago(0, 2)},
            ],
        )
        await db.execute(
            insert(ChatbotMessage),
            [
                {
                    "user_id": alice.id,
                    "session_id": session_a,
                    "message_type": "user",
                    "message": "hi",
                    "intent": "greeting",
                    "created_at": ago(0, 1),
                },
                {
                    "user_id": alice.id,
                    "session_id": session_a,
                    "message_type": "bot",
                    "message": "hello",
                    "intent": "greeting",
                    "response_time_ms": 10,
                    "created_at": ago(0, 1),
                },
                {
                    "user_id": bob.id,
                    "session_id": session_b,
                    "message_type": "user",
                    "message": "price?",
                    "intent": "pricing",
                    "created_at": ago(0, 1),
                },
                {
                    "user_id": bob.id,
                    "session_id": session_b,
                    "message_type": "bot",
                    "message": "plans",
                    "intent": "pricing",
                    "response_time_ms": 30,
                    "created_at": ago(0, 1),
                },
                {
                    "user_id": bob.id,
                    "session_id": session_b,
                    "message_type": "bot",
                    "message": "plans",
                    "intent": "pricing",
                    "response_time_ms": 50,
                    "created_at": ago(0, 1),
                },
                {
                    "user_id": alice.id,
                    "session_id": session_a,
                    "message_type": "user",
                    "message": "old",
                    "intent": "other",
                    "created_at": ago(2, 1),
                },
                {
                    "user_id": alice.id,
                    "session_id": session_a,
                    "message_type": "bot",
                    "message": "old",
                    "intent": "other",
                    "response_time_ms": 100,
                    "created_at": ago(90),
                },
            ],
        )
        idea = {"description": "d", "tech_stack": [], "complexity": "beginner", "source": "builtin"}
        await db.execute(
            insert(Idea),
            [
                {
                    **idea,
                    "user_id": alice.id,
                    "title": "ML one",
                    "category": "ml",
                    "user_selected": True,
                    "created_at": ago(3),
                },
                {
                    **idea,
                    "user_id": alice.id,
                    "title": "ML two",
                    "category": "ml",
                    "user_selected": False,
                    "created_at": ago(2),
                },
                {
                    **idea,
                    "user_id": bob.id,
                    "title": "ML three",
                    "category": "ml",
                    "user_selected": False,
                    "created_at": ago(1),
                },
                {
                    **idea,
                    "user_id": bob.id,
                    "title": "IoT one",
                    "category": "iot",
                    "user_selected": True,
                    "created_at": ago(0, 1),
                },
            ],
        )
    return {"alice": alice, "bob": bob, "admin": admin}


async def report(client: httpx.AsyncClient, admin, name: str, query: str = "") -> dict:
    response = await client.get(f"/api/admin/stats/{name}{query}", headers=admin.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["report"] == name
    return body


async def test_active_users(client, dataset) -> None:
    alice, bob, admin = dataset["alice"], dataset["bob"], dataset["admin"]
    body = await report(client, admin, "active-users")
    assert body["params"] == {"days": 7, "limit": 10}
    assert body["rows"] == [
        {"user_id": alice.id, "email": alice.email, "actions": 3},
        {"user_id": bob.id, "email": bob.email, "actions": 2},
    ]
    top = await report(client, admin, "active-users", "?days=60&limit=1")
    assert top["rows"] == [{"user_id": alice.id, "email": alice.email, "actions": 4}]


async def test_failed_actions(client, dataset) -> None:
    body = await report(client, dataset["admin"], "failed-actions", "?days=7")
    assert body["rows"] == [
        {"action": "login", "status": "failed", "count": 2},
        {"action": "create_order", "status": "error", "count": 1},
    ]


async def test_chatbot_daily(client, dataset) -> None:
    body = await report(client, dataset["admin"], "chatbot-daily", "?days=30")
    today_rows = [r for r in body["rows"] if r["date"] == ago(0, 1).date().isoformat()]
    assert today_rows == [{"date": ago(0, 1).date().isoformat(), "messages": 5, "unique_users": 2}]
    assert sum(r["messages"] for r in body["rows"]) == 6  # the 90-day-old message is outside the window
    assert [r["date"] for r in body["rows"]] == sorted((r["date"] for r in body["rows"]), reverse=True)


async def test_chatbot_response_times(client, dataset) -> None:
    body = await report(client, dataset["admin"], "chatbot-response-times")
    assert body["rows"] == [
        {"intent": "pricing", "avg_response_ms": 40.0, "p95_response_ms": 49.0, "count": 2},
        {"intent": "greeting", "avg_response_ms": 10.0, "p95_response_ms": 10.0, "count": 1},
    ]


async def test_idea_categories(client, dataset) -> None:
    body = await report(client, dataset["admin"], "idea-categories")
    assert body["params"] == {}
    assert body["rows"] == [
        {"category": "ml", "total_ideas": 3, "selected_ideas": 1, "selection_rate": 0.3333},
        {"category": "iot", "total_ideas": 1, "selected_ideas": 1, "selection_rate": 1.0},
    ]


async def test_recent_ideas(client, dataset) -> None:
    body = await report(client, dataset["admin"], "recent-ideas", "?limit=2")
    assert [(r["title"], r["user_selected"]) for r in body["rows"]] == [
        ("IoT one", True),
        ("ML three", False),
    ]
    assert body["rows"][0]["user_id"] == dataset["bob"].id


@pytest.mark.parametrize("query", ["?days=0", "?days=366", "?days=abc", "?limit=0", "?limit=101"])
async def test_parameters_are_validated(client, admin, query: str) -> None:
    response = await client.get(f"/api/admin/stats/active-users{query}", headers=admin.headers)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"][0] == "query"


async def test_reports_are_for_admins_only(client, alice) -> None:
    for name in (
        "active-users",
        "failed-actions",
        "chatbot-daily",
        "chatbot-response-times",
        "idea-categories",
        "recent-ideas",
    ):
        assert (await client.get(f"/api/admin/stats/{name}", headers=alice.headers)).status_code == 403
        assert (await client.get(f"/api/admin/stats/{name}")).status_code == 401


async def test_unknown_report_is_404(client, admin) -> None:
    response = await client.get("/api/admin/stats/everything", headers=admin.headers)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


# --- daily rollups (lib/core/rollups.py): the same answers whether a day is rolled up or read live ---


async def rolled_up() -> int:
    """What the archive cron does after archiving: roll up every complete day not rolled yet."""
    from lib.core.rollups import roll_up

    return (await roll_up(deadline=time.monotonic() + 60)).rolled


ROLLED_REPORTS = (
    ("active-users", ""),
    ("active-users", "?days=60&limit=1"),
    ("failed-actions", "?days=7"),
    ("failed-actions", "?days=60"),
    ("chatbot-daily", "?days=30"),
    ("chatbot-daily", "?days=365"),
    ("chatbot-response-times", "?days=30"),
    ("chatbot-response-times", "?days=365"),
    ("idea-categories", ""),
)


async def answers(client: httpx.AsyncClient, admin) -> list[list[dict]]:
    return [(await report(client, admin, name, query))["rows"] for name, query in ROLLED_REPORTS]


async def rolled_days() -> set[tuple[str, str]]:
    async with session() as db:
        rows = await db.execute(select(StatsRolledDay.source, StatsRolledDay.day))
        return {(source, day.isoformat()) for source, day in rows}


async def test_rolled_up_days_give_the_answers_the_rows_give(client, dataset) -> None:
    admin = dataset["admin"]
    live = await answers(client, admin)
    assert await rolled_up() > 0
    assert await answers(client, admin) == live
    assert await rolled_up() == 0  # nothing left to roll: a second run changes nothing
    assert await answers(client, admin) == live
    today = datetime.now(UTC).date().isoformat()
    assert all(day < today for _, day in await rolled_days())  # today is always read live


async def test_rows_on_both_sides_of_midnight_count_on_their_own_day(client, alice, bob, admin) -> None:
    now = datetime.now(UTC)
    midnight = datetime.combine(now.date() - timedelta(days=3), datetime.min.time(), UTC)
    just_before = midnight - timedelta(microseconds=1)
    async with session() as db:
        await db.execute(
            insert(ActivityLog),
            [
                {"user_id": alice.id, "action": "login", "status": "failed", "created_at": midnight},
                {"user_id": bob.id, "action": "login", "status": "failed", "created_at": just_before},
                {"user_id": bob.id, "action": "login", "status": "failed", "created_at": now},
            ],
        )
        chat = {"session_id": uuid.uuid4(), "message_type": "user", "message": "m"}
        await db.execute(
            insert(ChatbotMessage),
            [
                {**chat, "user_id": alice.id, "created_at": midnight},
                {**chat, "user_id": bob.id, "created_at": midnight},
                {**chat, "user_id": bob.id, "created_at": just_before},
                {**chat, "user_id": bob.id, "created_at": now},
            ],
        )
    today, day, day_before = (
        now.date().isoformat(),
        midnight.date().isoformat(),
        just_before.date().isoformat(),
    )
    expected_daily = [
        {"date": today, "messages": 1, "unique_users": 1},
        {"date": day, "messages": 2, "unique_users": 2},
        {"date": day_before, "messages": 1, "unique_users": 1},
    ]
    for rolled in (False, True):  # first live, then from the rollups
        if rolled:
            # From the oldest row's day to yesterday, in both tables (no ideas: nothing to roll).
            assert await rolled_up() == 2 * (now.date() - just_before.date()).days
        assert (await report(client, admin, "chatbot-daily"))["rows"] == expected_daily
        failed = await report(client, admin, "failed-actions", "?days=7")
        assert failed["rows"] == [{"action": "login", "status": "failed", "count": 3}]
    assert ("chatbot_history", day) in await rolled_days()
    assert ("chatbot_history", day_before) in await rolled_days()


async def test_a_change_to_a_rolled_day_is_counted_at_once(client, dataset) -> None:
    """An update, a delete and a back-dated insert each unroll their day (triggers): no stale rollup."""
    alice, bob, admin = dataset["alice"], dataset["bob"], dataset["admin"]
    await rolled_up()
    ideas_day = ago(2).date().isoformat()
    assert ("idea_generation_history", ideas_day) in await rolled_days()
    async with session() as db:
        await db.execute(update(Idea).where(Idea.title == "ML two").values(user_selected=True))
        await db.execute(delete(ChatbotMessage).where(ChatbotMessage.message == "old"))
        await db.execute(
            insert(ActivityLog),
            [{"user_id": bob.id, "action": "login", "status": "error", "created_at": ago(3)}],
        )
        # Columns no rollup reads: the day stays rolled.
        await db.execute(
            update(ActivityLog).where(ActivityLog.user_id == alice.id).values(ip_address="10.0.0.1")
        )
    assert ("idea_generation_history", ideas_day) not in await rolled_days()
    async with session() as db:  # its idea_daily rows went with it: idea-categories sums the table
        assert not (await db.execute(select(IdeaDay).where(IdeaDay.day == ago(2).date()))).all()
    assert ("activity_logs", ago(1).date().isoformat()) in await rolled_days()

    ideas = (await report(client, admin, "idea-categories"))["rows"]
    assert ideas[0] == {"category": "ml", "total_ideas": 3, "selected_ideas": 2, "selection_rate": 0.6667}
    daily = (await report(client, admin, "chatbot-daily", "?days=30"))["rows"]
    assert sum(r["messages"] for r in daily) == 5  # the deleted message of two days ago is gone
    failed = (await report(client, admin, "failed-actions", "?days=7"))["rows"]
    assert {"action": "login", "status": "error", "count": 1} in failed
    changed = await answers(client, admin)
    assert await rolled_up() > 0  # the unrolled days again
    assert await answers(client, admin) == changed


@pytest.mark.parametrize("version", [None, ROLLUP_VERSION - 1, ROLLUP_VERSION + 1])
async def test_a_mark_of_another_rollup_version_is_refused_with_its_day(client, dataset, version) -> None:
    """An older deployment's cron, still running while the new one migrates, rolls a day its way
    (no activity_user_daily, a mark without a version or with its own): the database refuses the
    mark, the whole day's roll rolls back, and the reports read that day from the rows."""
    admin = dataset["admin"]
    live = await answers(client, admin)
    day = ago(1).date()
    start = datetime.combine(day, datetime.min.time(), UTC)
    old_roll = [
        text("DELETE FROM activity_daily WHERE day = :day"),
        text("""INSERT INTO activity_daily (day, status, action, actions)
                SELECT :day, status, action, count(*) FROM activity_logs
                WHERE created_at >= :start AND created_at < :end GROUP BY status, action"""),
        text("INSERT INTO stats_rolled_days (source, day) VALUES ('activity_logs', :day)")
        if version is None
        else text(
            "INSERT INTO stats_rolled_days (source, day, version) VALUES ('activity_logs', :day, :version)"
        ),
    ]
    params = {"day": day, "start": start, "end": start + timedelta(days=1), "version": version}
    with pytest.raises(IntegrityError, match="version"):
        async with session() as db:
            for statement in old_roll:
                await db.execute(statement, params)
    assert await rolled_days() == set()
    async with session() as db:
        assert (await db.execute(text("SELECT count(*) FROM activity_daily"))).scalar() == 0
    assert await answers(client, admin) == live
    assert await rolled_up() > 0  # this code's marks pass
    assert ("activity_logs", day.isoformat()) in await rolled_days()
    assert await answers(client, admin) == live


# The report as one scan of the rows computed it before the rollups: the reference for every answer.
LIVE_RESPONSE_TIMES = text("""
    SELECT intent, avg(response_time_ms)::float AS avg_response_ms,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY response_time_ms) AS p95_response_ms,
           count(*) AS count
    FROM chatbot_history
    WHERE message_type = 'bot' AND response_time_ms IS NOT NULL
      AND created_at >= now() - make_interval(days => :days)
    GROUP BY intent
    ORDER BY count DESC, intent""")


async def bot_answers(user_id: int, times_by_day: dict[int, list[int]], intents: tuple) -> None:
    """Timed bot answers on the UTC day `days` ago, the intents taken in turn (None among them)."""
    rows = [
        {
            "user_id": user_id,
            "session_id": uuid.uuid4(),
            "message_type": "bot",
            "message": "a",
            "intent": intents[index % len(intents)],
            "response_time_ms": ms,
            "created_at": on_day(days, (index + 1) / 50),
        }
        for days, times in times_by_day.items()
        for index, ms in enumerate(times)
    ]
    async with session() as db:
        await db.execute(insert(ChatbotMessage), rows)


async def response_times_path(days: int) -> tuple[bool, int]:
    """Whether the report's p95s came from the days' largest times, and for how many intents some
    day's times were left out (its CTEs, then their verdict instead of its rows)."""
    from api.stats import RESPONSE_TIMES

    ctes = str(RESPONSE_TIMES.text).split("\n    SELECT intent, (total_ms / total_n)")[0]
    verdict = text(ctes + " SELECT ok, (SELECT count(*) FROM picked WHERE cut IS NOT NULL) AS cut FROM exact")
    async with session() as db:
        row = (await db.execute(verdict, {"days": days})).one()
        return row.ok, row.cut


async def live_response_times(days: int) -> list[dict]:
    async with session() as db:
        return [dict(r._mapping) for r in await db.execute(LIVE_RESPONSE_TIMES, {"days": days})]


@pytest.mark.parametrize(
    "shape",
    [
        # Ten days alike: the largest few times of each day hold the p95, the rest is never read.
        "alike",
        # One day far above the others: its largest times are not enough, every time is sorted.
        "one hot day",
    ],
)
async def test_response_times_from_rollups_equal_the_rows(client, alice, admin, shape: str) -> None:
    times_by_day = {
        days: [
            (5000 + 7 * i if (shape == "one hot day" and days == 4) else (i * 37 + days * 11) % 900)
            for i in range(40)
        ]
        for days in range(2, 12)
    }
    times_by_day[0] = [5, 7, 7, 9000]  # today, always live: its largest time counts at once
    await bot_answers(alice.id, times_by_day, ("pricing", None, "greeting", "pricing"))
    expected = {days: await live_response_times(days) for days in (1, 5, 30)}
    for rolled in (False, True):
        if rolled:
            assert await rolled_up() > 0
        for days, rows in expected.items():
            body = await report(client, admin, "chatbot-response-times", f"?days={days}")
            assert body["rows"] == rows, (shape, rolled, days)
    # From the rollups: the largest few times of each day and intent (some left out), unless one day
    # outweighs the rest; then every time (the second SELECT).
    assert await response_times_path(30) == ((True, 3) if shape == "alike" else (False, 3))
    assert {r["intent"] for r in expected[30]} == {"pricing", None, "greeting"}
    assert sum(r["count"] for r in expected[30]) == 404


# The report as one scan of the rows computed it before the rollups.
LIVE_ACTIVE_USERS = text("""
    SELECT top.user_id, u.email, top.actions
    FROM (
        SELECT user_id, count(*) AS actions FROM activity_logs
        WHERE created_at >= now() - make_interval(days => :days) AND user_id IS NOT NULL
        GROUP BY user_id ORDER BY actions DESC, user_id LIMIT :limit
    ) top JOIN users u ON u.id = top.user_id
    ORDER BY top.actions DESC, top.user_id""")


async def active_users_path(days: int, limit: int) -> bool:
    """Whether the report's answer came from the users on the lists (its CTEs, then their verdict)."""
    from api.stats import ACTIVE_USERS

    ctes = str(ACTIVE_USERS.text).split("\n    SELECT top.user_id, u.email, top.actions")[0]
    async with session() as db:
        verdict = text(ctes + " SELECT ok FROM exact")
        return bool((await db.execute(verdict, {"days": days, "limit": limit})).scalar())


@pytest.mark.parametrize("shape", ["one stands out", "all alike"])
async def test_active_users_from_rollups_equal_the_rows(client, admin, shape: str) -> None:
    from tests.support import create_account

    users = [await create_account(f"u{i}@example.com") for i in range(16)]
    rows = [
        {"user_id": user.id, "action": "login", "status": "success", "created_at": on_day(days, (i + 1) / 20)}
        for days in (0, 2, 3, 4, 10)
        for i, user in enumerate(users)
        for _ in range(1 + (9 if shape == "one stands out" and i == 5 else 0))
    ]
    async with session() as db:
        await db.execute(insert(ActivityLog), rows)
    expected = {}
    async with session() as db:
        for days, limit in ((7, 1), (7, 3), (30, 10)):
            params = {"days": days, "limit": limit}
            expected[days, limit] = [dict(r._mapping) for r in await db.execute(LIVE_ACTIVE_USERS, params)]
    for rolled in (False, True):
        if rolled:
            assert await rolled_up() > 0
        for (days, limit), answer in expected.items():
            body = await report(client, admin, "active-users", f"?days={days}&limit={limit}")
            assert body["rows"] == answer, (shape, rolled, days, limit)
    # limit 1: 12 users a list, 16 users a day, so each list leaves some out. One user far ahead is
    # the answer from the lists; sixteen alike are counted in full instead.
    assert await active_users_path(7, 1) == (shape == "one stands out")
    assert expected[7, 1][0]["actions"] == (40 if shape == "one stands out" else 4)


def first_day_times(days: int) -> tuple[datetime, datetime, datetime]:
    """For a `days` window: a moment on its first UTC day before `since`, one after it, and one
    today before now (each well inside its stretch, up to an hour from its edge)."""
    now = datetime.now(UTC)
    since = now - timedelta(days=days)
    first_midnight = datetime.combine(since.date(), datetime.min.time(), UTC)
    next_midnight = first_midnight + timedelta(days=1)
    today_midnight = datetime.combine(now.date(), datetime.min.time(), UTC)
    before = since - min(timedelta(hours=1), (since - first_midnight) / 2)
    after = since + min(timedelta(hours=1), (next_midnight - since) / 2)
    return before, after, today_midnight + (now - today_midnight) / 2


async def live_active_users(days: int, limit: int) -> list[dict]:
    async with session() as db:
        params = {"days": days, "limit": limit}
        return [dict(r._mapping) for r in await db.execute(LIVE_ACTIVE_USERS, params)]


@pytest.mark.parametrize("shape", ["some stand out", "all alike"])
async def test_active_users_with_a_partial_first_day_equal_the_rows(client, admin, shape: str) -> None:
    """A 3-day window: its first day is partial (since = now() - 3 days), two whole days, today.
    Sixteen users have a row on the first day before `since` (outside the window), one after it,
    one on each whole day and one today. "some stand out": u3 has 20 more rows before `since`
    (counted, he would lead), u7, u9 and x (a 17th user, on no other day) more after it, u7 and u5
    more today."""
    from tests.support import create_account

    users = [await create_account(f"p{i}@example.com") for i in range(16)]
    before, after, today = first_day_times(3)
    first_midnight = datetime.combine(before.date(), datetime.min.time(), UTC)
    whole_days = [first_midnight + timedelta(days=d, hours=12) for d in (1, 2)]
    moments = {user.id: [before, after, *whole_days, today] for user in users}
    if shape == "some stand out":
        x = await create_account("x@example.com")
        moments[users[3].id] += [before] * 20
        moments[users[7].id] += [after] * 6 + [today] * 2
        moments[users[9].id] += [after] * 4
        moments[users[5].id] += [today] * 3
        moments[x.id] = [after] * 9
    rows = [
        {"user_id": user_id, "action": "login", "status": "success", "created_at": moment}
        for user_id, times in moments.items()
        for moment in times
    ]
    async with session() as db:
        await db.execute(insert(ActivityLog), rows)
    queries = ((3, 1), (3, 3), (3, 10), (2, 5))
    expected = {q: await live_active_users(*q) for q in queries}
    if shape == "some stand out":
        assert [(r["user_id"], r["actions"]) for r in expected[3, 10]][:6] == [
            (users[7].id, 12),
            (x.id, 9),
            (users[9].id, 8),
            (users[5].id, 7),
            (users[0].id, 4),  # the other twelve tie at 4: the smallest user_id first
            (users[1].id, 4),
        ]
    else:
        assert [r["actions"] for r in expected[3, 10]] == [4] * 10
        assert [r["user_id"] for r in expected[3, 10]] == [u.id for u in users[:10]]
    for rolled in (False, True):
        if rolled:
            assert await rolled_up() > 0
            assert ("activity_logs", before.date().isoformat()) in await rolled_days()
        for (days, limit), answer in expected.items():
            body = await report(client, admin, "active-users", f"?days={days}&limit={limit}")
            assert body["rows"] == answer, (shape, rolled, days, limit)
    # limit 1 and 3: 12 and 16 users a list, each list has 16 or more, the first day's with its whole
    # day's counts (2 each, x 9, u3 22): the bound is 2 + 1 + 1 + 1 = 5. u7, x, u9 and u5 are above
    # it: the answer comes from the lists (x only on the first day's); when all are alike, from
    # every user's days and rows. limit 10: 30 a list, every user is on them (the bound is 0).
    assert await active_users_path(3, 1) == (shape == "some stand out")
    assert await active_users_path(3, 3) == (shape == "some stand out")
    assert await active_users_path(3, 10) is True


async def test_active_users_with_a_day_unrolled_in_the_middle_equal_the_rows(client, admin) -> None:
    """A back-dated insert unrolls a day between rolled ones: that gap is read from the rows, for the
    lists and for each user on them, beside the rolled days, the partial first day and today."""
    from tests.support import create_account

    users = [await create_account(f"g{i}@example.com") for i in range(16)]
    before, after, today = first_day_times(4)
    first_midnight = datetime.combine(before.date(), datetime.min.time(), UTC)
    rows = [
        {"user_id": user.id, "action": "login", "status": "success", "created_at": moment}
        for i, user in enumerate(users)
        for moment in [before, after, today]
        + [first_midnight + timedelta(days=d, hours=6 + i / 10) for d in (1, 2, 3)]
        + [after] * (5 if i == 4 else 0)
    ]
    async with session() as db:
        await db.execute(insert(ActivityLog), rows)
    assert await rolled_up() > 0
    middle = first_midnight + timedelta(days=2, hours=20)
    async with session() as db:  # u11: 7 more on the middle day (now unrolled), u4: 5 after since
        await db.execute(
            insert(ActivityLog),
            [
                {"user_id": users[11].id, "action": "login", "status": "error", "created_at": middle}
                for _ in range(7)
            ],
        )
    assert ("activity_logs", middle.date().isoformat()) not in await rolled_days()
    for days, limit in ((4, 1), (4, 2), (4, 3), (4, 12)):
        answer = await live_active_users(days, limit)
        body = await report(client, admin, "active-users", f"?days={days}&limit={limit}")
        assert body["rows"] == answer, (days, limit)
    assert [(r["user_id"], r["actions"]) for r in await live_active_users(4, 2)] == [
        (users[11].id, 12),
        (users[4].id, 10),
    ]
    assert await active_users_path(4, 2) is True
