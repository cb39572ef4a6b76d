"""Rows of the project work tables: projects, synopses, meetings, admin requests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from bench.datagen.draws import CHUNK, DAY, Gen, cumulative, ts


def gen_projects(g: Gen) -> Iterator[list[tuple[Any, ...]]]:
    n = g.counts["projects"]
    r = g.r
    statuses = (("draft", 30), ("submitted", 25), ("in_progress", 25), ("completed", 15), ("cancelled", 5))
    status_values, status_cum = [s for s, _ in statuses], cumulative([w for _, w in statuses])
    done = 0
    created_all = g.times(n, 730, 0.01)
    while done < n:
        k = min(CHUNK, n - done)
        users = g.users(k)
        cats = g.category_list(k)
        sts = r.choices(status_values, cum_weights=status_cum, k=k)
        rows = []
        for j in range(k):
            pid = done + j + 1
            created = created_all[pid - 1]
            title, seed = g.title()
            desc = g.description(seed, r.randint(2, 4))
            deadline = date.fromtimestamp(created + r.uniform(30, 240) * DAY) if r.random() < 0.7 else None
            deleted = ts(created + r.uniform(1, 60) * DAY) if r.random() < 0.03 else None
            updated = min(created + r.uniform(0, 30) * DAY, g.now)
            rows.append(
                (
                    pid,
                    users[j],
                    title,
                    desc,
                    cats[j],
                    r.choice(g.tech_pool),
                    deadline,
                    sts[j],
                    deleted,
                    ts(created),
                    ts(updated),
                )
            )
        done += k
        yield rows


def gen_synopsis(g: Gen) -> Iterator[list[tuple[Any, ...]]]:
    n, n_projects = g.counts["synopsis"], g.counts["projects"]
    r = g.r
    statuses = (("draft", 25), ("submitted", 25), ("under_review", 15), ("approved", 25), ("rejected", 10))
    values, cum = [s for s, _ in statuses], cumulative([w for _, w in statuses])
    created_all = g.times(n, 730, 0.01)
    done = 0
    while done < n:
        k = min(CHUNK, n - done)
        users, sts = g.users(k), r.choices(values, cum_weights=cum, k=k)
        rows = []
        for j in range(k):
            sid = done + j + 1
            created = created_all[sid - 1]
            title, seed = g.title()
            reviewed = sts[j] in ("under_review", "approved", "rejected")
            rows.append(
                (
                    sid,
                    users[j],
                    r.randint(1, n_projects),
                    title,
                    g.description(seed, 3),
                    g.description(seed, 1) if r.random() < 0.6 else None,
                    g.description(seed, 1) if r.random() < 0.5 else None,
                    sts[j],
                    "Looks good; tighten the scope." if reviewed else None,
                    1 if reviewed else None,
                    ts(min(created + 3 * DAY, g.now)) if reviewed else None,
                    ts(created),
                    ts(min(created + r.uniform(0, 10) * DAY, g.now)),
                )
            )
        done += k
        yield rows


def gen_meetings(g: Gen) -> Iterator[list[tuple[Any, ...]]]:
    n, n_projects = g.counts["meetings"], g.counts["projects"]
    r = g.r
    statuses = (("requested", 25), ("confirmed", 25), ("completed", 40), ("cancelled", 10))
    values, cum = [s for s, _ in statuses], cumulative([w for _, w in statuses])
    created_all = g.times(n, 730, 0.01)
    done = 0
    while done < n:
        k = min(CHUNK, n - done)
        users, sts = g.users(k), r.choices(values, cum_weights=cum, k=k)
        rows = []
        for j in range(k):
            mid = done + j + 1
            created = created_all[mid - 1]
            rows.append(
                (
                    mid,
                    users[j],
                    r.randint(1, n_projects) if r.random() < 0.7 else None,
                    ts(created + r.uniform(1, 30) * DAY),
                    r.choice((30, 45, 60, 90)),
                    "Discuss progress, blockers and the next milestone.",
                    sts[j],
                    f"https://meet.example.com/{mid:x}" if sts[j] in ("confirmed", "completed") else None,
                    ts(created),
                    ts(min(created + r.uniform(0, 5) * DAY, g.now)),
                )
            )
        done += k
        yield rows


def gen_admin_requests(g: Gen) -> Iterator[list[tuple[Any, ...]]]:
    n = g.counts["admin_requests"]
    r = g.r
    statuses = (("open", 30), ("in_progress", 20), ("resolved", 40), ("rejected", 10))
    values, cum = [s for s, _ in statuses], cumulative([w for _, w in statuses])
    kinds = ("refund", "deadline_extension", "mentor_change", "technical_issue", "other")
    created_all = g.times(n, 730, 0.01)
    done = 0
    while done < n:
        k = min(CHUNK, n - done)
        users, sts = g.users(k), r.choices(values, cum_weights=cum, k=k)
        rows = []
        for j in range(k):
            aid = done + j + 1
            created = created_all[aid - 1]
            closed = sts[j] in ("resolved", "rejected")
            rows.append(
                (
                    aid,
                    users[j],
                    r.choice(kinds),
                    "Please help: my project submission page shows an error since yesterday.",
                    sts[j],
                    "Handled, thank you for your patience." if closed else None,
                    1 if closed else None,
                    ts(min(created + 2 * DAY, g.now)) if closed else None,
                    ts(created),
                    ts(min(created + r.uniform(0, 5) * DAY, g.now)),
                )
            )
        done += k
        yield rows
