"""What each kind of notification says: one builder per kind, used by the route that causes it."""

from __future__ import annotations

from datetime import datetime

from lib.rules.notifications import Notice

REVIEW_TITLES = {
    "under_review": "Your synopsis is being reviewed",
    "approved": "Your synopsis was approved",
    "rejected": "Your synopsis was rejected",
}


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def synopsis_reviewed(synopsis_id: int, status: str, feedback: str | None) -> Notice:
    body = f"Synopsis {synopsis_id} is now {status.replace('_', ' ')}."
    if feedback:
        body += f"\n\nFeedback from the reviewer:\n{feedback}"
    return Notice("synopsis_reviewed", "owner", REVIEW_TITLES[status], body, "synopsis")


def synopsis_submitted(author: str, what: str) -> Notice:
    return Notice("synopsis_submitted", "admins", f"Synopsis submitted by {author}", what, "synopsis")


def meeting_confirmed(scheduled_at: datetime, meeting_link: str) -> Notice:
    body = f"Your meeting on {_when(scheduled_at)} is confirmed.\n\nJoin: {meeting_link}"
    return Notice("meeting_confirmed", "owner", "Your meeting is confirmed", body, "meeting")


def meeting_cancelled(scheduled_at: datetime) -> Notice:
    body = f"Your meeting on {_when(scheduled_at)} was cancelled by an admin."
    return Notice("meeting_cancelled", "owner", "Your meeting was cancelled", body, "meeting")


def meeting_requested(author: str, scheduled_at: datetime, agenda: str) -> Notice:
    body = f"{author} asks to meet on {_when(scheduled_at)}.\n\nAgenda:\n{agenda}"
    return Notice("meeting_requested", "admins", f"Meeting requested by {author}", body, "meeting")


def order_status(order_id: int, status: str) -> Notice:
    body = f"Order {order_id} is now {status.replace('_', ' ')}."
    return Notice("order_status", "owner", f"Your order is {status.replace('_', ' ')}", body, "order")


def admin_request_answered(request_id: int, status: str, response: str) -> Notice:
    body = f"Request {request_id} was {status}.\n\n{response}"
    return Notice("admin_request_answered", "owner", f"Your request was {status}", body, "admin_request")


def admin_request_opened(author: str, request_type: str, message: str) -> Notice:
    body = f"{author} sent a {request_type} request:\n\n{message}"
    return Notice("admin_request_opened", "admins", f"New request from {author}", body, "admin_request")


def payment_mismatch(order_id: int, provider: str, paid: str, expected: str) -> Notice:
    body = (
        f"A {provider} payment for order {order_id} was {paid}, but the order is {expected}. "
        "The order stays unpaid: check the payment in the provider's dashboard."
    )
    return Notice(
        "payment_mismatch", "admins", f"Payment mismatch on order {order_id}", body, "order", order_id
    )
