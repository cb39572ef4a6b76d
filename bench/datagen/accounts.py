"""Rows of the account tables: users, plans, services, orders, user services."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from bench.datagen.draws import CHUNK, DAY, Gen, cumulative, ts
from bench.datagen.vocabulary import PLANS, SERVICES


def gen_users(g: Gen, password_hash: str) -> Iterator[list[tuple[Any, ...]]]:
    n = g.n_users
    created = g.times(n, 900, 1)
    rows = []
    for i in range(1, n + 1):
        t = ts(created[i - 1])
        if i == 1:
            email, name, admin = "bench-admin@bench.local", "Bench Admin", True
        elif i == n:
            email, name, admin = "bench-writer@bench.local", "Bench Writer", False
        else:
            email, name, admin = f"user{i}@bench.local", f"Student {i}", False
        rows.append((i, email, password_hash, name, admin, g.r.random() > 0.01 or i in (1, 2, n), t, t))
        if len(rows) == CHUNK:
            yield rows
            rows = []
    if rows:
        yield rows


def gen_plans(g: Gen) -> Iterator[list[tuple[Any, ...]]]:
    t = ts(g.now - 1000 * DAY)
    features = json.dumps(["mentoring", "reviews", "support"])
    yield [
        (i, name, f"{name} plan", price, "INR", features, True, t, t)
        for i, (name, price) in enumerate(PLANS, 1)
    ]


def gen_services(g: Gen) -> Iterator[list[tuple[Any, ...]]]:
    t = ts(g.now - 1000 * DAY)
    yield [
        (i, name, f"{name} service", 1000 * i + 4900, "INR", True, t, t) for i, name in enumerate(SERVICES, 1)
    ]


def gen_orders(g: Gen) -> Iterator[list[tuple[Any, ...]]]:
    n, n_projects = g.counts["orders"], g.counts["projects"]
    r = g.r
    statuses = (("pending", 20), ("paid", 25), ("in_progress", 20), ("completed", 30), ("cancelled", 5))
    values, cum = [s for s, _ in statuses], cumulative([w for _, w in statuses])
    created_all = g.times(n, 730, 0.01)
    done = 0
    while done < n:
        k = min(CHUNK, n - done)
        users, sts = g.users(k), r.choices(values, cum_weights=cum, k=k)
        rows = []
        for j in range(k):
            oid = done + j + 1
            plan = r.randint(1, len(PLANS))
            created = created_all[oid - 1]
            project = r.randint(1, n_projects) if r.random() < 0.6 else None
            updated = min(created + r.uniform(0, 20) * DAY, g.now)
            rows.append(
                (oid, users[j], plan, project, PLANS[plan - 1][1], "INR", sts[j], ts(created), ts(updated))
            )
        done += k
        yield rows


def gen_user_services(g: Gen) -> Iterator[list[tuple[Any, ...]]]:
    n = g.counts["user_services"]
    r = g.r
    active: set[tuple[int, int]] = set()
    created_all = g.times(n, 730, 0.01)
    rows = []
    users = g.users(n)
    for i in range(n):
        service = r.randint(1, len(SERVICES))
        status = r.choices(("active", "completed", "cancelled"), weights=(50, 40, 10))[0]
        if status == "active":
            if (users[i], service) in active:
                status = "completed"
            else:
                active.add((users[i], service))
        created = created_all[i]
        rows.append((i + 1, users[i], service, None, status, ts(created), ts(created)))
        if len(rows) == CHUNK:
            yield rows
            rows = []
    if rows:
        yield rows
