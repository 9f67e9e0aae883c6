"""Accept Order / Refuse Order on Cdiscount (SPEC S5, S7): order actions that call the marketplace.

The HTTP call happens outside any database transaction (a slow marketplace must not hold a row
lock); only then is the answer recorded, under the order's row lock, with an OrderEvent. A
marketplace refusal becomes an OrderRuleError carrying the marketplace's own words, and is
recorded in the history too, so a user can see what was tried.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction

from channels.accounts import client_for
from channels.cdiscount.client import ApprovalOutcome, CdiscountClient
from channels.exceptions import ChannelAPIError
from sellercloud.models import User

from .choices import EventKind, OrderStatus
from .events import order_event
from .models import Order
from .rules import Action, OrderRuleError, check_action, transition_error

logger = logging.getLogger(__name__)

__all__ = ["order_accept", "order_refuse", "channel_error_message"]

ACCEPTED = "Accepted"
REFUSED = "Refused"


def channel_error_message(exc: ChannelAPIError) -> str:
    """The marketplace's answer in a sentence: its title and detail, then field errors."""
    parts = [p for p in (exc.title, exc.detail) if p]
    text = " - ".join(parts) if parts else exc.message
    for name, messages in exc.errors.items():
        text = text.rstrip(".") + f"; {name + ': ' if name else ''}{' '.join(messages)}"
    return text


def _decide(
    *, order: Order, by: User, action: Action, decision: str, call: Callable[[CdiscountClient], ApprovalOutcome]
) -> ApprovalOutcome:
    # Fresh read: the menu may be stale (auto-accept or another user got there first).
    order = Order.objects.select_related("company", "channel_account").get(pk=order.pk)
    check_action(order, action)
    if order.channel_account is None:
        raise OrderRuleError("This order has no Cdiscount account: it cannot be sent to Cdiscount.")
    client = client_for(order.channel_account)
    try:
        outcome = call(client)
    except ChannelAPIError as exc:
        logger.warning("event=order_%s_failed order=%s error=%s", action.value, order.pk, exc.message)
        message = f"Cdiscount did not {action.label.split()[0].lower()} the order: {channel_error_message(exc)}"
        order_event(order=order, kind=EventKind.ACCEPTANCE, message=message, user=by, data={"error": exc.message})
        raise OrderRuleError(message) from exc
    finally:
        client.close()
    _record(order=order, by=by, decision=decision, outcome=outcome)
    return outcome


@transaction.atomic
def _record(*, order: Order, by: User, decision: str, outcome: ApprovalOutcome) -> None:
    order = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
    previous = order.channel_status
    fields = ["channel_status", "updated_at"]
    order.channel_status = decision
    message = f"{'Accepted' if decision == ACCEPTED else 'Refused'} on Cdiscount"
    if outcome == ApprovalOutcome.ALREADY_DONE:
        message += " (Cdiscount already had this decision)"
    if decision == REFUSED:
        # A refused order is cancelled, through the transition table like every status change.
        if reason := transition_error(order.status, OrderStatus.CANCELED):
            message += f". The Order Status stays {OrderStatus(order.status).label}: {reason}"
        else:
            order.status = OrderStatus.CANCELED
            fields.append("status")
            message += ": the order is Canceled"
    order.save(update_fields=fields)
    order_event(
        order=order,
        kind=EventKind.ACCEPTANCE,
        message=message + ".",
        user=by,
        data={"decision": decision, "outcome": str(outcome), "channel_status_before": previous},
    )


def order_accept(*, order: Order, by: User) -> ApprovalOutcome:
    """Accept Order: tell Cdiscount we accept an order waiting for acceptance, then record it."""
    return _decide(
        order=order,
        by=by,
        action=Action.ACCEPT,
        decision=ACCEPTED,
        call=lambda client: client.accept_order(order_id=order.channel_order_id),
    )


def order_refuse(*, order: Order, by: User) -> ApprovalOutcome:
    """Refuse Order: tell Cdiscount we refuse it, then record it; the order becomes Canceled."""
    return _decide(
        order=order,
        by=by,
        action=Action.REFUSE,
        decision=REFUSED,
        call=lambda client: client.refuse_order(order_id=order.channel_order_id),
    )
