"""Accept Order / Refuse Order on Cdiscount (SPEC S5, S7): order actions that call the marketplace.

The HTTP call happens outside any database transaction (a slow marketplace must not hold a row
lock); only then is the answer recorded, under the order's row lock, with an OrderEvent. A
marketplace refusal becomes an OrderRuleError carrying the marketplace's own words, and is
recorded in the history too, so a user can see what was tried. The download's auto-accept
records its answer through the same `approval_record`, so both leave the same trace.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from orders.models import Order
from orders.rules import OrderRuleError
from sellercloud.models import User

from .acceptance import ACCEPTED, REFUSED, approval_record
from .accounts import client_for
from .cdiscount.client import ApprovalOutcome, CdiscountClient
from .cdiscount.exceptions import ChannelAPIError
from .cdiscount.schemas import OrderStatus as CdiscountStatus
from .download.read_back import read_back
from .events import approval_failed_event

logger = logging.getLogger(__name__)

__all__ = ["order_accept", "order_refuse", "why_not_approve"]


def why_not_approve(order: Order) -> str | None:
    """Why the order cannot be accepted or refused now; None while Cdiscount waits for it."""
    if order.channel_status != CdiscountStatus.WAITING_ACCEPTANCE:
        return (
            f"Cdiscount reports the order {order.channel_status or 'in an unknown status'}: "
            "only orders waiting for acceptance can be accepted or refused."
        )
    return None


def _decide(
    *, order: Order, by: User, decision: str, call: Callable[[CdiscountClient], ApprovalOutcome], reason: str = ""
) -> ApprovalOutcome:
    # Fresh read: the menu may be stale (auto-accept or another user got there first).
    order = Order.objects.select_related("company", "channel_account").get(pk=order.pk)
    if refused := why_not_approve(order):
        raise OrderRuleError(refused)
    if order.channel_account is None:
        raise OrderRuleError("This order has no Cdiscount account: it cannot be sent to Cdiscount.")
    client = client_for(order.channel_account)
    verb = "accept" if decision == ACCEPTED else "refuse"
    try:
        outcome = call(client)
    except ChannelAPIError as exc:
        logger.warning("event=order_%s_failed order=%s error=%s", verb, order.pk, exc.message)
        # The order is read back and applied at once, so the page shows what Cdiscount has now,
        # and the message says it in those terms rather than only in the refusal's words.
        seen = read_back(account=order.channel_account, client=client, order=order)
        message = f"Cdiscount did not {verb} the order: {seen.words if seen else exc.marketplace_words}"
        approval_failed_event(order=order, by=by, message=message, error=exc.message)
        raise OrderRuleError(message) from exc
    finally:
        client.close()
    approval_record(order=order, by=by, decision=decision, outcome=outcome, reason=reason)
    return outcome


def order_accept(*, order: Order, by: User) -> ApprovalOutcome:
    """Accept Order: tell Cdiscount we accept an order waiting for acceptance, then record it."""
    return _decide(
        order=order, by=by, decision=ACCEPTED, call=lambda client: client.accept_order(order_id=order.channel_order_id)
    )


def order_refuse(*, order: Order, by: User, reason: str) -> ApprovalOutcome:
    """Refuse Order: tell Cdiscount we refuse it, then record it with our reason (Cdiscount takes
    none); the order becomes Canceled."""
    reason = reason.strip()
    if not reason:
        raise OrderRuleError("Give a reason for refusing the order: it is kept in the order's history.")
    return _decide(
        order=order,
        by=by,
        decision=REFUSED,
        call=lambda client: client.refuse_order(order_id=order.channel_order_id),
        reason=reason,
    )
