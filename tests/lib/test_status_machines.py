"""The four status machines: one shape, statuses the tables allow, targets the schemas accept."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from lib.models.statuses import ADMIN_REQUEST_STATUSES, MEETING_STATUSES, ORDER_STATUSES, SYNOPSIS_STATUSES
from lib.rules.status_machines import ADMIN_REQUEST, MEETING, ORDER, SYNOPSIS, StatusMachine
from lib.schemas.admin_requests import AdminRequestUpdate
from lib.schemas.meetings import MeetingUpdate
from lib.schemas.orders import OrderStatusUpdate
from lib.schemas.synopsis import SynopsisUpdate

MACHINES = [
    (ORDER, ORDER_STATUSES, OrderStatusUpdate),
    (SYNOPSIS, SYNOPSIS_STATUSES, SynopsisUpdate),
    (MEETING, MEETING_STATUSES, MeetingUpdate),
    (ADMIN_REQUEST, ADMIN_REQUEST_STATUSES, AdminRequestUpdate),
]


def _literal_values(annotation: Any) -> set[str]:
    """The strings a `Literal[...] | None` (or a Literal alias) annotation admits."""
    values: set[str] = set()
    for argument in get_args(annotation) or (annotation,):
        values |= {value for value in get_args(argument) if isinstance(value, str)} or (
            {argument} if isinstance(argument, str) else set()
        )
    return values


@pytest.mark.parametrize(
    ("machine", "statuses", "update"), MACHINES, ids=lambda value: getattr(value, "name", "")
)
def test_every_status_a_machine_names_is_one_the_table_allows(
    machine: StatusMachine, statuses: tuple[str, ...], update: type
) -> None:
    named = {machine.start} | {move.to for move in machine.moves}
    named |= {source for move in machine.moves for source in move.sources}
    assert named <= set(statuses)


@pytest.mark.parametrize(
    ("machine", "statuses", "update"), MACHINES, ids=lambda value: getattr(value, "name", "")
)
def test_the_update_schema_accepts_every_target_and_the_machine_decides(
    machine: StatusMachine, statuses: tuple[str, ...], update: type
) -> None:
    accepted = _literal_values(update.model_fields["status"].annotation)
    # Every target is accepted by the schema; a status the schema accepts but no move reaches is a 409
    # from the machine, not a 422 (orders and synopses accept every status), so only ⊆ holds one way.
    # `refunded` is the one target PATCH refuses: only POST /api/orders/{id}/refund (which returns the
    # money first) or the provider's refund event reach it.
    assert set(machine.targets()) - {"refunded"} <= accepted <= set(statuses)


def test_sources_follow_who_moves() -> None:
    assert ORDER.sources("cancelled", admin=False) == ("pending",)
    assert ORDER.sources("cancelled", admin=True) == ("pending", "paid", "in_progress")
    assert ORDER.sources("paid", admin=False) == ()
    assert MEETING.sources("cancelled", admin=False) == ("requested", "confirmed")
    assert MEETING.admin_only("confirmed") and not MEETING.admin_only("cancelled")
    assert SYNOPSIS.sources("submitted", admin=True) == ("draft",)


def test_flows_read_as_the_chatbot_tells_them() -> None:
    assert ORDER.flow() == "pending → paid → in_progress → completed"
    assert SYNOPSIS.flow("submitted") == "submitted → under_review → approved or rejected"
    assert MEETING.flow() == "requested → confirmed → completed"
