"""What an accept or refuse on Cdiscount records, whoever asked: a user (Accept / Refuse Order,
channels.approval) or the download's auto-accept (`by` None). One place, so both leave the
same trace: the channel status, the Order Status a refusal brings, one history line."""

from __future__ import annotations

from django.db import transaction

from orders import hooks
from orders.choices import OrderStatus
from orders.models import Order
from orders.rules import transition_error
from sellercloud.models import User

from .cdiscount.client import ApprovalOutcome
from .cdiscount.schemas import OrderStatus as CdiscountStatus
from .events import approval_event, refusal_status_note

__all__ = ["ACCEPTED", "REFUSED", "approval_record"]

ACCEPTED = CdiscountStatus.ACCEPTED
REFUSED = CdiscountStatus.REFUSED


@transaction.atomic
def approval_record(
    *, order: Order, by: User | None, decision: str, outcome: ApprovalOutcome, reason: str = ""
) -> None:
    """Record Cdiscount's answer to an accept or refuse, by a user or by auto-accept (`by` None):
    the channel status, the Order Status a refusal brings, and one history line with the data."""
    order = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
    previous = order.channel_status
    fields = ["channel_status", "updated_at"]
    order.channel_status = decision
    status_note = ""
    if decision == REFUSED:
        # A refused order is cancelled, through the transition table like every status change.
        blocked = transition_error(order.status, OrderStatus.CANCELED)
        status_note = refusal_status_note(cancelled=not blocked, status=order.status, reason=blocked or "")
        if not blocked:
            order.status = OrderStatus.CANCELED
            fields.append("status")
            hooks.order_cancelled(order_id=order.pk)
    order.save(update_fields=fields)
    approval_event(
        order=order,
        by=by,
        accepted=decision == ACCEPTED,
        already_done=outcome == ApprovalOutcome.ALREADY_DONE,
        status_note=status_note,
        reason=reason,
        data={
            "decision": decision,
            "outcome": str(outcome),
            "channel_status_before": previous,
            **({"reason": reason} if reason else {}),
        },
    )
