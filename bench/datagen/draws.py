"""Row counts and the deterministic random draws every table generator shares."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

from bench.datagen.vocabulary import ADJECTIVES, CATEGORIES, KINDS, SENTENCES, TECH, TOPICS

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
        self.category_cum = cumulative([w for _, w in CATEGORIES])
        self.tech_pool = [json.dumps(self.r.sample(TECH, self.r.randint(1, 5))) for _ in range(200)]

    def users(self, k: int) -> list[int]:
        return self.r.choices(self.user_ids, cum_weights=self.user_cum, k=k)

    def category_list(self, k: int) -> list[str]:
        return self.r.choices(self.categories, cum_weights=self.category_cum, k=k)

    def times(self, k: int, days_back: float, days_min: float = 0.0) -> list[float]:
        """k sorted epoch seconds spread uniformly between now-days_back and now-days_min (the last
        24 hours' moved into today: `whole_today`)."""
        low, high = self.now - days_back * DAY, self.now - days_min * DAY
        return sorted(self.whole_today(self.r.uniform(low, high)) for _ in range(k))

    def whole_today(self, epoch: float) -> float:
        """`epoch`, or if in the last 24 hours, the same fraction of the part of today (UTC) that has
        passed: today holds a whole day's rows whatever the hour the data set is generated at. The
        reports read today from the rows (the cron rolls only complete days), so their cost would
        otherwise follow the clock. Order is kept; yesterday gives up the hours moved."""
        if epoch <= self.now - DAY:
            return epoch
        midnight = self.now - self.now % DAY  # epoch seconds have no leap seconds: UTC midnight
        return midnight + (epoch - (self.now - DAY)) * (self.now - midnight) / DAY

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


def cumulative(weights: list[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


def ts(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
