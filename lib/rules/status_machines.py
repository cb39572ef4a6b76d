"""The four status machines (orders, synopses, meetings, admin requests) in one shape.

A machine is a list of moves: a target status, the statuses it may be reached from, and who may
make the move. `owner` is anyone who may see the row (its owner, or an admin, who sees every row);
`admin` is admins only. A move not listed is a 409 (lib.rules.transitions makes each one a single
conditional UPDATE, so of two racing moves only one wins).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Mover = Literal["owner", "admin"]


@dataclass(frozen=True)
class Move:
    to: str
    sources: tuple[str, ...]
    by: Mover


@dataclass(frozen=True)
class StatusMachine:
    name: str
    start: str
    moves: tuple[Move, ...]

    def sources(self, to: str, *, admin: bool) -> tuple[str, ...]:
        """The statuses from which the caller may move a row to `to`; empty when it may not at all."""
        found: list[str] = []
        for move in self.moves:
            if move.to == to and (move.by == "owner" or admin):
                found.extend(status for status in move.sources if status not in found)
        return tuple(found)

    def admin_only(self, to: str) -> bool:
        """Whether every move to `to` is an admin's."""
        return all(move.by == "admin" for move in self.moves if move.to == to)

    def targets(self) -> tuple[str, ...]:
        """Every status a move can reach, in the order the moves are listed."""
        return tuple(dict.fromkeys(move.to for move in self.moves))

    def _single_source_moves(self) -> dict[str, str]:
        """Targets every move reaches from exactly one status -> that status."""
        single: dict[str, str] = {}
        for target in self.targets():
            sources = {move.sources for move in self.moves if move.to == target}
            if len(sources) == 1 and len(first := next(iter(sources))) == 1:
                single[target] = first[0]
        return single

    def flow(self, since: str | None = None) -> str:
        """The usual life of a row as text, e.g. `pending → paid → in_progress → completed`.

        From `since` (default: `start`), each status reached from exactly one other; where a
        status leads to several, they end the flow as alternatives (`approved or rejected`).
        """
        single = self._single_source_moves()
        path = [since or self.start]
        while next_steps := [to for to, source in single.items() if source == path[-1] and to not in path]:
            if len(next_steps) > 1:
                return " → ".join(path) + " → " + " or ".join(next_steps)
            path.append(next_steps[0])
        return " → ".join(path)


OPEN_ORDER = ("pending", "paid", "in_progress")
ORDER = StatusMachine(
    "order",
    start="pending",
    moves=(
        Move("paid", ("pending",), "admin"),
        Move("in_progress", ("paid",), "admin"),
        Move("completed", ("in_progress",), "admin"),
        Move("cancelled", ("pending",), "owner"),
        Move("cancelled", OPEN_ORDER, "admin"),
        # Only through POST /api/orders/{id}/refund (or the provider's refund event): PATCH refuses it.
        Move("refunded", ("paid", "in_progress", "completed"), "admin"),
    ),
)
SYNOPSIS = StatusMachine(
    "synopsis",
    start="draft",
    moves=(
        Move("submitted", ("draft",), "owner"),
        Move("under_review", ("submitted",), "admin"),
        Move("approved", ("under_review",), "admin"),
        Move("rejected", ("under_review",), "admin"),
    ),
)
MEETING = StatusMachine(
    "meeting",
    start="requested",
    moves=(
        Move("confirmed", ("requested",), "admin"),
        Move("completed", ("confirmed",), "admin"),
        Move("cancelled", ("requested", "confirmed"), "owner"),
    ),
)
ADMIN_REQUEST = StatusMachine(
    "admin request",
    start="open",
    moves=(
        Move("in_progress", ("open",), "admin"),
        Move("resolved", ("open", "in_progress"), "admin"),
        Move("rejected", ("open", "in_progress"), "admin"),
    ),
)
