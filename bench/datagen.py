"""Fill the bench database to production-like volume with COPY (skewed users), showing progress."""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import progress, scale

# Row counts at full scale (BENCH_QUICK=1 makes 1/20 of each).
FULL_COUNTS = {
    "users": 100_000,
    "projects": 300_000,
    "orders": 300_000,
    "activity_logs": 2_000_000,
    "chatbot_history": 500_000,
    "idea_generation_history": 300_000,
    "synopsis": 60_000,
    "meetings": 40_000,
    "admin_requests": 40_000,
    "user_services": 40_000,
}
CHUNK = 50_000
# Zipf-like skew: user of rank r (1 = most active) weighs 1 / (r + OFFSET).
ZIPF_OFFSET = 20
DAY = 86_400.0

CATEGORIES = (
    ("web-development", 22),
    ("machine-learning", 18),
    ("mobile-apps", 12),
    ("iot", 9),
    ("data-science", 9),
    ("cybersecurity", 7),
    ("blockchain", 5),
    ("cloud-computing", 5),
    ("game-development", 4),
    ("embedded-systems", 4),
    ("robotics", 3),
    ("ar-vr", 2),
)
ADJECTIVES = [
    "smart",
    "automated",
    "secure",
    "scalable",
    "intelligent",
    "distributed",
    "real-time",
    "portable",
    "low-cost",
    "adaptive",
]
TOPICS = [
    "attendance tracking",
    "crop disease detection",
    "campus navigation",
    "library management",
    "traffic prediction",
    "parking allocation",
    "energy monitoring",
    "fake news detection",
    "hostel management",
    "blood bank",
    "waste segregation",
    "sign language translation",
    "student feedback",
    "exam proctoring",
    "food delivery",
    "medical diagnosis",
    "air quality monitoring",
    "voice assistant",
    "resume screening",
    "inventory control",
    "aquaponics automation",
    "braille transcription",
    "wildfire early warning",
    "glacier melt analysis",
]
KINDS = [
    "system",
    "platform",
    "app",
    "dashboard",
    "framework",
    "tool",
    "portal",
    "engine",
    "assistant",
    "network",
]
SENTENCES = (
    "This project builds a {adj} {topic} {kind} for colleges and small organisations.",
    "It uses {tech} to collect data, process it and present results in a simple interface.",
    "The goal is to reduce manual work and make {topic} faster, cheaper and more reliable.",
    "A prototype is evaluated with real users and compared against existing solutions.",
    "Key features include role-based access, notifications, reports and an admin console.",
    "The {kind} is designed to run on commodity hardware and scale to thousands of users.",
)
TECH = [
    "python",
    "django",
    "react",
    "postgres",
    "flask",
    "fastapi",
    "node",
    "express",
    "mongodb",
    "tensorflow",
    "pytorch",
    "opencv",
    "arduino",
    "raspberry-pi",
    "kotlin",
    "flutter",
    "swift",
    "aws",
    "docker",
    "kubernetes",
    "redis",
    "solidity",
    "unity",
]
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/130.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0",
    "launchpad-mobile/2.3.1 (Android 13)",
    "curl/8.5.0",
)
# action, weight, method, path template, entity type
ACTIONS = (
    ("login", 24, "POST", "/api/auth/login", None),
    ("register", 3, "POST", "/api/auth/register", "user"),
    ("create_project", 8, "POST", "/api/projects", "project"),
    ("update_project", 10, "PATCH", "/api/projects/{id}", "project"),
    ("delete_project", 1, "DELETE", "/api/projects/{id}", "project"),
    ("send_message", 20, "POST", "/api/chatbot", "chatbot_session"),
    ("generate_ideas", 6, "POST", "/api/ideas/generate", "idea"),
    ("update_idea", 4, "PATCH", "/api/ideas/{id}", "idea"),
    ("refine_idea", 1, "POST", "/api/ideas/{id}/refine", "idea"),
    ("create_order", 5, "POST", "/api/orders", "order"),
    ("update_order_status", 3, "PATCH", "/api/orders/{id}", "order"),
    ("create_synopsis", 2, "POST", "/api/synopsis", "synopsis"),
    ("update_synopsis", 2, "PATCH", "/api/synopsis/{id}", "synopsis"),
    ("create_meeting", 2, "POST", "/api/meetings", "meeting"),
    ("update_meeting", 1, "PATCH", "/api/meetings/{id}", "meeting"),
    ("create_admin_request", 1, "POST", "/api/admin-requests", "admin_request"),
    ("subscribe_service", 1, "POST", "/api/services/{id}/subscribe", "service"),
    ("route_not_found", 3, "GET", "/api/unknown", None),
    ("method_not_allowed", 1, "PUT", "/api/projects", None),
)
INTENTS = (
    ("project_ideas", 30),
    ("tech_stack", 15),
    ("synopsis_help", 12),
    ("pricing", 10),
    ("greeting", 10),
    ("deadline", 8),
    ("meeting", 5),
    ("general", 10),
)
PLANS = (
    ("Starter", 9900),
    ("Standard", 24900),
    ("Premium", 49900),
    ("Mentor Plus", 79900),
    ("Team", 99900),
    ("Enterprise", 199900),
)
SERVICES = (
    "Code Review",
    "Report Writing",
    "Presentation Design",
    "Viva Preparation",
    "Deployment Help",
    "Plagiarism Check",
    "Research Paper",
    "Mock Interview",
)


class Gen:
    """Deterministic random helpers shared by the table generators."""

    def __init__(self, seed: str, counts: dict[str, int], now: float) -> None:
        self.r = random.Random(seed)
        self.counts = counts
        self.now = now
        self.n_users = counts["users"]
        # ids 2..n-1 are ranked by activity (2 = the most active); 1 is the admin, n the writer.
        self.user_ids = list(range(2, self.n_users))
        total = 0.0
        self.user_cum: list[float] = []
        for rank in range(1, len(self.user_ids) + 1):
            total += 1.0 / (rank + ZIPF_OFFSET)
            self.user_cum.append(total)
        cats = [c for c, _ in CATEGORIES]
        self.categories = cats
        self.category_cum = _cum([w for _, w in CATEGORIES])
        self.tech_pool = [json.dumps(self.r.sample(TECH, self.r.randint(1, 5))) for _ in range(200)]

    def users(self, k: int) -> list[int]:
        return self.r.choices(self.user_ids, cum_weights=self.user_cum, k=k)

    def category_list(self, k: int) -> list[str]:
        return self.r.choices(self.categories, cum_weights=self.category_cum, k=k)

    def times(self, k: int, days_back: float, days_min: float = 0.0) -> list[float]:
        """k sorted epoch seconds spread uniformly between now-days_back and now-days_min."""
        low, high = self.now - days_back * DAY, self.now - days_min * DAY
        return sorted(self.r.uniform(low, high) for _ in range(k))

    def title(self) -> tuple[str, str]:
        r = self.r
        adj, topic, kind = r.choice(ADJECTIVES), r.choice(TOPICS), r.choice(KINDS)
        return f"{adj.capitalize()} {topic} {kind}", f"{adj}|{topic}|{kind}"

    def description(self, seed: str, sentences: int = 3) -> str:
        adj, topic, kind = seed.split("|")
        r = self.r
        chosen = r.sample(SENTENCES, sentences)
        tech = ", ".join(r.sample(TECH, 2))
        return " ".join(s.format(adj=adj, topic=topic, kind=kind, tech=tech) for s in chosen)


def _cum(weights: list[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


def _ts(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _pick(r: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return r.choices([v for v, _ in table], weights=[w for _, w in table])[0]


# ---------------------------------------------------------------- row generators (chunks of tuples)


def gen_users(g: Gen, password_hash: str) -> Iterator[list[tuple[Any, ...]]]:
    n = g.n_users
    created = g.times(n, 900, 1)
    rows = []
    for i in range(1, n + 1):
        t = _ts(created[i - 1])
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
    t = _ts(g.now - 1000 * DAY)
    features = json.dumps(["mentoring", "reviews", "support"])
    yield [
        (i, name, f"{name} plan", price, "INR", features, True, t, t)
        for i, (name, price) in enumerate(PLANS, 1)
    ]


def gen_services(g: Gen) -> Iterator[list[tuple[Any, ...]]]:
    t = _ts(g.now - 1000 * DAY)
    yield [
        (i, name, f"{name} service", 1000 * i + 4900, "INR", True, t, t) for i, name in enumerate(SERVICES, 1)
    ]


def gen_projects(g: Gen) -> Iterator[list[tuple[Any, ...]]]:
    n = g.counts["projects"]
    r = g.r
    statuses = (("draft", 30), ("submitted", 25), ("in_progress", 25), ("completed", 15), ("cancelled", 5))
    status_values, status_cum = [s for s, _ in statuses], _cum([w for _, w in statuses])
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
            deleted = _ts(created + r.uniform(1, 60) * DAY) if r.random() < 0.03 else None
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
                    _ts(created),
                    _ts(updated),
                )
            )
        done += k
        yield rows


def gen_orders(g: Gen) -> Iterator[list[tuple[Any, ...]]]:
    n, n_projects = g.counts["orders"], g.counts["projects"]
    r = g.r
    statuses = (("pending", 20), ("paid", 25), ("in_progress", 20), ("completed", 30), ("cancelled", 5))
    values, cum = [s for s, _ in statuses], _cum([w for _, w in statuses])
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
                (oid, users[j], plan, project, PLANS[plan - 1][1], "INR", sts[j], _ts(created), _ts(updated))
            )
        done += k
        yield rows


def gen_synopsis(g: Gen) -> Iterator[list[tuple[Any, ...]]]:
    n, n_projects = g.counts["synopsis"], g.counts["projects"]
    r = g.r
    statuses = (("draft", 25), ("submitted", 25), ("under_review", 15), ("approved", 25), ("rejected", 10))
    values, cum = [s for s, _ in statuses], _cum([w for _, w in statuses])
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
                    _ts(min(created + 3 * DAY, g.now)) if reviewed else None,
                    _ts(created),
                    _ts(min(created + r.uniform(0, 10) * DAY, g.now)),
                )
            )
        done += k
        yield rows


def gen_meetings(g: Gen) -> Iterator[list[tuple[Any, ...]]]:
    n, n_projects = g.counts["meetings"], g.counts["projects"]
    r = g.r
    statuses = (("requested", 25), ("confirmed", 25), ("completed", 40), ("cancelled", 10))
    values, cum = [s for s, _ in statuses], _cum([w for _, w in statuses])
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
                    _ts(created + r.uniform(1, 30) * DAY),
                    r.choice((30, 45, 60, 90)),
                    "Discuss progress, blockers and the next milestone.",
                    sts[j],
                    f"https://meet.example.com/{mid:x}" if sts[j] in ("confirmed", "completed") else None,
                    _ts(created),
                    _ts(min(created + r.uniform(0, 5) * DAY, g.now)),
                )
            )
        done += k
        yield rows


def gen_admin_requests(g: Gen) -> Iterator[list[tuple[Any, ...]]]:
    n = g.counts["admin_requests"]
    r = g.r
    statuses = (("open", 30), ("in_progress", 20), ("resolved", 40), ("rejected", 10))
    values, cum = [s for s, _ in statuses], _cum([w for _, w in statuses])
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
                    _ts(min(created + 2 * DAY, g.now)) if closed else None,
                    _ts(created),
                    _ts(min(created + r.uniform(0, 5) * DAY, g.now)),
                )
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
        rows.append((i + 1, users[i], service, None, status, _ts(created), _ts(created)))
        if len(rows) == CHUNK:
            yield rows
            rows = []
    if rows:
        yield rows


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
                    _ts(created),
                    _ts(created),
                )
            )
        done += k
        yield rows


def gen_chatbot(g: Gen) -> Iterator[list[tuple[Any, ...]]]:
    n = g.counts["chatbot_history"]
    r = g.r
    intents, intent_cum = [i for i, _ in INTENTS], _cum([w for _, w in INTENTS])
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
            at = min(start + turn * 45.0, g.now - 1)
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
        rows.append((i, user, None, _ts(at), session, kind, text, intent, rt, source, model))
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
    cum = _cum([a[1] for a in ACTIONS])
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
                    _ts(times[aid - 1]),
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


# ---------------------------------------------------------------- COPY

COLUMNS = {
    "users": "id email password_hash full_name is_admin is_active created_at updated_at",
    "plans": "id name description price_cents currency features is_active created_at updated_at",
    "services": "id name description price_cents currency is_active created_at updated_at",
    "projects": (
        "id user_id title description category tech_stack deadline status deleted_at created_at updated_at"
    ),
    "orders": "id user_id plan_id project_id amount_cents currency status created_at updated_at",
    "synopsis": (
        "id user_id project_id title abstract objectives methodology status feedback reviewed_by "
        "reviewed_at created_at updated_at"
    ),
    "meetings": (
        "id user_id project_id scheduled_at duration_minutes agenda status meeting_link created_at updated_at"
    ),
    "admin_requests": (
        "id user_id request_type message status admin_response resolved_by resolved_at created_at updated_at"
    ),
    "user_services": "id user_id service_id project_id status created_at updated_at",
    "idea_generation_history": (
        "id user_id project_id parent_id title description category tech_stack complexity user_selected "
        "rating refinement_count source model prompt created_at updated_at"
    ),
    "chatbot_history": (
        "id user_id project_id created_at session_id message_type message intent response_time_ms "
        "source model"
    ),
    "activity_logs": (
        "id user_id created_at action entity_type entity_id status details ip_address user_agent method "
        "path duration_ms request_id error_message"
    ),
}


async def copy_table(url: str, table: str, chunks: Iterator[list[tuple[Any, ...]]], total: int) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        # Foreign keys are consistent by construction; skip their per-row triggers while loading.
        await conn.execute("SET session_replication_role = replica; SET synchronous_commit = off")
        started, done, last = time.monotonic(), 0, 0.0
        for rows in chunks:
            await conn.copy_records_to_table(table, records=rows, columns=COLUMNS[table].split())
            done += len(rows)
            now = time.monotonic()
            if now - last > 2 or done >= total:
                rate = done / max(now - started, 1e-9)
                progress(f"  {table:<24} {done:>9,}/{total:,} rows ({done / total:4.0%})  {rate:,.0f} rows/s")
                last = now
    finally:
        await conn.close()


def _worker(url: str, tables: list[str], counts: dict[str, int], now: float, password_hash: str) -> None:
    """One process: generate and COPY `tables` in order."""
    makers: dict[str, Callable[[Gen], Iterator[list[tuple[Any, ...]]]]] = {
        "users": lambda g: gen_users(g, password_hash),
        "plans": gen_plans,
        "services": gen_services,
        "projects": gen_projects,
        "orders": gen_orders,
        "synopsis": gen_synopsis,
        "meetings": gen_meetings,
        "admin_requests": gen_admin_requests,
        "user_services": gen_user_services,
        "idea_generation_history": gen_ideas,
        "chatbot_history": gen_chatbot,
        "activity_logs": gen_activity,
    }
    for table in tables:
        g = Gen(f"launchpad-bench-{table}", counts, now)
        total = counts.get(table) or {"plans": len(PLANS), "services": len(SERVICES)}[table]
        asyncio.run(copy_table(url, table, makers[table](g), total))


SECONDARY_INDEXES = """
    SELECT c.relname AS table_name, i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS ddl
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relname = ANY($1::text[])
      AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
    ORDER BY pg_relation_size(c.oid) DESC, 2"""


async def _prepare(url: str) -> list[dict[str, str]]:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        tables = list(COLUMNS)
        await conn.execute(
            f"TRUNCATE {', '.join(tables)}, activity_logs_archive, chatbot_history_archive CASCADE"
        )
        indexes = [dict(r) for r in await conn.fetch(SECONDARY_INDEXES, tables)]
        for index in indexes:
            await conn.execute(f"DROP INDEX {index['name']}")
        return indexes
    finally:
        await conn.close()


async def _finish(url: str, indexes: list[dict[str, str]]) -> None:
    """Recreate the indexes (two at a time), reset sequences, VACUUM ANALYZE."""
    import asyncpg

    queue: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    for index in indexes:
        queue.put_nowait(index)
    started = time.monotonic()

    async def builder() -> None:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("SET maintenance_work_mem = '512MB'")
            while not queue.empty():
                index = queue.get_nowait()
                t0 = time.monotonic()
                await conn.execute(index["ddl"])
                if time.monotonic() - t0 > 1.0:
                    progress(f"  index {index['name']:<58} {time.monotonic() - t0:6.1f}s")
        finally:
            await conn.close()

    progress(f"building {len(indexes)} secondary indexes")
    await asyncio.gather(builder(), builder())
    progress(f"indexes built in {time.monotonic() - started:.1f}s; VACUUM ANALYZE")
    conn = await asyncpg.connect(url)
    try:
        for table in COLUMNS:
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
    finally:
        await conn.close()
    tables: asyncio.Queue[str] = asyncio.Queue()
    for table in COLUMNS:
        tables.put_nowait(table)

    async def vacuumer() -> None:
        conn = await asyncpg.connect(url)
        try:
            while not tables.empty():
                await conn.execute(f"VACUUM (ANALYZE) {tables.get_nowait()}")
        finally:
            await conn.close()

    await asyncio.gather(vacuumer(), vacuumer())


async def _samples(url: str, counts: dict[str, int]) -> dict[str, Any]:
    """Ids and values the measurements use: the bench accounts and realistic filter values."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        power, writer = 2, counts["users"]
        typical = await conn.fetchval(
            "SELECT user_id FROM projects WHERE deleted_at IS NULL GROUP BY user_id "
            "HAVING count(*) BETWEEN 3 AND 5 ORDER BY user_id LIMIT 1"
        )
        q = "SELECT id FROM projects WHERE user_id = $1 AND deleted_at IS NULL ORDER BY id DESC LIMIT 1"
        session = await conn.fetchval(
            "SELECT session_id FROM chatbot_history WHERE user_id = $1 ORDER BY created_at DESC LIMIT 1",
            power,
        )
        order_project = await conn.fetchval(
            "SELECT project_id FROM orders WHERE project_id IS NOT NULL ORDER BY id DESC LIMIT 1"
        )
        synopsis_project = await conn.fetchval("SELECT project_id FROM synopsis ORDER BY id DESC LIMIT 1")
        entity_id = await conn.fetchval(
            "SELECT entity_id FROM activity_logs WHERE entity_type = 'project' ORDER BY id DESC LIMIT 1"
        )
        per_user = await conn.fetch(
            "SELECT 'projects' AS t, count(*) AS n FROM projects WHERE user_id = $1 "
            "UNION ALL SELECT 'activity_logs', count(*) FROM activity_logs WHERE user_id = $1 "
            "UNION ALL SELECT 'chatbot_history', count(*) FROM chatbot_history WHERE user_id = $1 "
            "UNION ALL SELECT 'idea_generation_history', count(*) FROM idea_generation_history "
            "WHERE user_id = $1",
            power,
        )
        old = await conn.fetchval(
            "SELECT count(*) FROM activity_logs WHERE created_at < now() - make_interval(days => 90)"
        )
        sizes = await conn.fetch(
            "SELECT relname, pg_total_relation_size(oid) AS bytes FROM pg_class "
            "WHERE relname = ANY($1::text[]) ORDER BY 2 DESC",
            list(COLUMNS),
        )
        return {
            "admin_id": 1,
            "power_id": power,
            "typical_id": typical,
            "writer_id": writer,
            "power_project_id": await conn.fetchval(q, power),
            "typical_project_id": await conn.fetchval(q, typical),
            "power_session_id": str(session),
            "order_project_id": order_project,
            "synopsis_project_id": synopsis_project,
            "activity_entity_id": entity_id,
            "power_rows": {r["t"]: r["n"] for r in per_user},
            "activity_older_than_90_days": old,
            "table_bytes": {r["relname"]: r["bytes"] for r in sizes},
        }
    finally:
        await conn.close()


async def _save_meta(url: str, dataset: dict[str, Any]) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value jsonb NOT NULL)"
        )
        await conn.execute(
            "INSERT INTO bench_meta VALUES ('dataset', $1) ON CONFLICT (key) DO UPDATE SET value = $1",
            json.dumps(dataset, default=str),
        )
    finally:
        await conn.close()


def generate(url: str, factor: float) -> dict[str, Any]:
    """Generate the whole data set into the (migrated, empty) database at `url`."""
    from argon2 import PasswordHasher

    started = time.monotonic()
    counts = {table: max(10, int(n * factor)) for table, n in FULL_COUNTS.items()}
    now = time.time()
    password_hash = PasswordHasher().hash("bench-password")
    indexes = asyncio.run(_prepare(url))
    progress(f"dropped {len(indexes)} secondary indexes; loading {sum(counts.values()):,} rows with COPY")
    groups = [
        ["activity_logs"],
        [
            "users",
            "plans",
            "services",
            "projects",
            "orders",
            "synopsis",
            "meetings",
            "admin_requests",
            "user_services",
            "idea_generation_history",
            "chatbot_history",
        ],
    ]
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_worker, args=(url, g, counts, now, password_hash)) for g in groups]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
        if worker.exitcode != 0:
            raise SystemExit(f"a data generator failed (exit {worker.exitcode})")
    loaded = time.monotonic() - started
    progress(f"rows loaded in {loaded:.1f}s")
    asyncio.run(_finish(url, indexes))
    dataset: dict[str, Any] = {
        "scale": factor,
        "counts": counts,
        "generated_at": datetime.now(UTC).isoformat(),
        "generated_epoch": now,
        "load_seconds": round(loaded, 1),
    }
    dataset.update(asyncio.run(_samples(url, counts)))
    dataset["seconds"] = round(time.monotonic() - started, 1)
    asyncio.run(_save_meta(url, dataset))
    progress(f"data set ready in {dataset['seconds']:.0f}s")
    return dataset


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="the migrated, empty bench database")
    parser.add_argument("--scale", type=float, default=scale())
    args = parser.parse_args()
    generate(args.url, args.scale)
    return 0


if __name__ == "__main__":
    sys.exit(main())
