"""Rows of the history tables: generated ideas, chatbot messages, activity logs."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

from bench.datagen.draws import CHUNK, DAY, Gen, cumulative, ts
from bench.datagen.vocabulary import ACTIONS, INTENTS, PLANS, SERVICES, TOPICS, USER_AGENTS


def gen_ideas(g: Gen) -> Iterator[list[tuple[Any, ...]]]:
    n, n_projects = g.counts["idea_generation_history"], g.counts["projects"]
    r = g.r
    created_all = g.times(n, 365, 0.01)
    done = 0
    while done < n:
        k = min(CHUNK, n - done)
        users, cats = g.users(k), g.category_list(k)
        rows = []
        for j in range(k):
            iid = done + j + 1
            created = created_all[iid - 1]
            title, seed = g.title()
            parent = r.randint(1, iid - 1) if iid > 1 and r.random() < 0.05 else None
            provider = r.random() < 0.4
            rows.append(
                (
                    iid,
                    users[j],
                    r.randint(1, n_projects) if r.random() < 0.1 else None,
                    parent,
                    title,
                    g.description(seed, 2),
                    cats[j],
                    r.choice(g.tech_pool),
                    r.choice(("beginner", "intermediate", "advanced")),
                    r.random() < 0.15,
                    r.randint(1, 5) if r.random() < 0.1 else None,
                    1 if parent else 0,
                    "provider" if provider else "builtin",
                    "gpt-4o-mini" if provider else None,
                    f"Ideas about {seed.split('|')[1]}",
                    ts(created),
                    ts(created),
                )
            )
        done += k
        yield rows


def gen_chatbot(g: Gen) -> Iterator[list[tuple[Any, ...]]]:
    n = g.counts["chatbot_history"]
    r = g.r
    intents, intent_cum = [i for i, _ in INTENTS], cumulative([w for _, w in INTENTS])
    questions = (
        "Can you suggest a final year project on {t}?",
        "Which tech stack fits a {t} project?",
        "How do I write the synopsis for {t}?",
        "What does the premium plan include?",
        "Hi!",
        "My deadline is next month, is {t} feasible?",
    )
    messages: list[
        tuple[float, int, uuid.UUID, str, str, str | None, int | None, str | None, str | None]
    ] = []
    while len(messages) < n:
        user = g.users(1)[0]
        session = uuid.UUID(int=r.getrandbits(128), version=4)
        start = g.now - r.uniform(0.01, 365) * DAY
        for turn in range(r.randint(1, 6)):
            intent = r.choices(intents, cum_weights=intent_cum)[0]
            topic = r.choice(TOPICS)
            at = g.whole_today(min(start + turn * 45.0, g.now - 1))
            provider = r.random() < 0.4
            messages.append(
                (at, user, session, "user", r.choice(questions).format(t=topic), intent, None, None, None)
            )
            reply = (
                f"Here are some thoughts on {topic}: start small, pick a clear dataset and a simple UI. " * 2
            )
            messages.append(
                (
                    at + 2.0,
                    user,
                    session,
                    "bot",
                    reply,
                    intent,
                    r.randint(80, 4000),
                    "provider" if provider else "builtin",
                    "gpt-4o-mini" if provider else None,
                )
            )
    messages = sorted(messages[:n], key=lambda m: m[0])
    rows = []
    for i, (at, user, session, kind, text, intent, rt, source, model) in enumerate(messages, 1):
        rows.append((i, user, None, ts(at), session, kind, text, intent, rt, source, model))
        if len(rows) == CHUNK:
            yield rows
            rows = []
    if rows:
        yield rows


def gen_activity(g: Gen) -> Iterator[list[tuple[Any, ...]]]:
    """Half of the rows older than 90 days (what the archival benchmark moves), half recent."""
    n = g.counts["activity_logs"]
    r = g.r
    old = n // 2
    times = g.times(old, 365, 91) + g.times(n - old, 89, 0.001)
    names = [a[0] for a in ACTIONS]
    cum = cumulative([a[1] for a in ACTIONS])
    spec = {a[0]: a for a in ACTIONS}
    ranges = {
        "project": g.counts["projects"],
        "order": g.counts["orders"],
        "idea": g.counts["idea_generation_history"],
        "synopsis": g.counts["synopsis"],
        "meeting": g.counts["meetings"],
        "admin_request": g.counts["admin_requests"],
        "service": len(SERVICES),
        "user": g.n_users,
    }
    ips = [f"203.0.113.{i % 250}" if i % 3 else f"198.51.100.{i % 250}" for i in range(1000)]
    details_pool = {
        "update_project": [
            json.dumps({"fields": f}) for f in (["title"], ["description", "status"], ["tech_stack"])
        ],
        "send_message": [
            json.dumps({"intent": i, "source": s}) for i, _ in INTENTS for s in ("builtin", "provider")
        ],
        "create_order": [
            json.dumps({"plan_id": p, "amount_cents": PLANS[p - 1][1], "currency": "INR"}) for p in (1, 2, 3)
        ],
        "update_order_status": [json.dumps({"status": s}) for s in ("paid", "in_progress", "completed")],
    }
    errors = {"failed": "Invalid email or password", "error": "Internal server error"}
    done = 0
    while done < n:
        k = min(CHUNK, n - done)
        users = g.users(k)
        acts = r.choices(names, cum_weights=cum, k=k)
        rows = []
        for j in range(k):
            aid = done + j + 1
            action = acts[j]
            _, _, method, path, entity_type = spec[action]
            roll = r.random()
            if action in ("route_not_found", "method_not_allowed"):
                status, user = "failed", None
            elif roll < 0.005:
                status, user = "error", users[j]
            elif roll < 0.05 or (action == "login" and roll < 0.1):
                status, user = "failed", users[j]
            else:
                status, user = "success", users[j]
            if action == "login" and status == "failed" and r.random() < 0.5:
                user = None
            if r.random() < 0.01:
                user = 1  # the admin's own actions
            entity_id = None
            if entity_type == "chatbot_session":
                entity_id = str(uuid.UUID(int=r.getrandbits(128), version=4))
            elif entity_type is not None:
                entity_id = str(user if entity_type == "user" and user else r.randint(1, ranges[entity_type]))
            if "{id}" in path:
                path = path.replace("{id}", entity_id or "1")
            pool = details_pool.get(action)
            rows.append(
                (
                    aid,
                    user,
                    ts(times[aid - 1]),
                    action,
                    entity_type,
                    entity_id,
                    status,
                    r.choice(pool) if pool else None,
                    r.choice(ips),
                    r.choice(USER_AGENTS),
                    method,
                    path,
                    r.randint(3, 400),
                    f"{r.getrandbits(128):032x}",
                    errors.get(status),
                )
            )
        done += k
        yield rows
