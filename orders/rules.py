"""What an order allows: the status transitions and the "why not" answers (SPEC S8).

The actions a channel adds (Accept / Refuse, uploads) carry their own reasons: see
orders.channel_registry.

The one place for these rules. Services call `check_action` before they change anything; the
Actions menus call `why_not` to show a disabled action with its reason and what to do instead.
Functions read `order.packages.all()` and `order.payments.all()`, so a caller that prefetches
them pays no extra query.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import models
from django.utils import timezone

from sellercloud.dates import date_text

from .channel_registry import adapter_for
from .choices import LIVE_UPLOAD_STATUSES, PAID_STATUSES, OrderStatus, ShippingStatus
from .models import Order

S = OrderStatus

# Allowed Order Status changes, from -> to. Everything else is refused.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.IN_PROCESS: frozenset({S.ON_HOLD, S.PROBLEM, S.COMPLETED, S.CANCELED}),
    S.ON_HOLD: frozenset({S.IN_PROCESS, S.PROBLEM, S.COMPLETED, S.CANCELED}),
    S.PROBLEM: frozenset({S.IN_PROCESS, S.ON_HOLD, S.COMPLETED, S.CANCELED}),
    # Completed means Fully Shipped: a cancel is still possible until Ship Confirmed (checked by
    # the cancel rule), and the channel can report trouble.
    S.COMPLETED: frozenset({S.PROBLEM, S.CANCELED}),
    # A local cancel wins over the channel, except that goods reported shipped need a human.
    S.CANCELED: frozenset({S.PROBLEM}),
}


def status_after_problem(order: Order) -> str:
    """What Resolve Problem gives: Completed when the order is Fully Shipped, else In Process (an
    In Process order beside Fully Shipped would contradict itself)."""
    return S.COMPLETED if order.shipping_status == ShippingStatus.FULLY_SHIPPED else S.IN_PROCESS


def shipping_status_after_withdrawal(order: Order) -> str:
    """A cancel withdraws the packages still waiting to upload: with no live package left the
    order is Unshipped again, not Fully Shipped beside a Withdrawn package."""
    return order.shipping_status if has_live_package(order) else ShippingStatus.UNSHIPPED


class OrderRuleError(Exception):
    """An action or status change the order does not allow; the message says why and what to do."""


def transition_error(current: str, new: str) -> str | None:
    """Why `current` cannot become `new`, or None when it can."""
    if new in TRANSITIONS.get(current, frozenset()):
        return None
    return f"An order that is {S(current).label} cannot become {S(new).label}."


def check_transition(order: Order, new: str) -> None:
    if reason := transition_error(order.status, new):
        raise OrderRuleError(reason)


class Action(models.TextChoices):
    """The order actions of Order Details and Manage Orders."""

    CANCEL = "cancel", "Set Cancelled Internally"
    REFUND = "refund", "Issue Refund"
    SHIP = "ship", "Ship Order"
    HOLD = "hold", "Set On Hold"
    RELEASE_HOLD = "release_hold", "Release Hold"
    RESOLVE_PROBLEM = "resolve_problem", "Resolve Problem"
    ADD_NOTE = "add_note", "Add Note"
    EDIT_ADDRESS = "edit_address", "Edit Shipping Address"
    CREATE_RMA = "create_rma", "Create RMA"


def _date(order: Order, value: datetime | None) -> str:
    """A date as the order's company sees it (its time zone, not the server's)."""
    return date_text(timezone.localtime(value, ZoneInfo(order.company.time_zone))) if value else ""


def is_paid(order: Order) -> bool:
    return order.payment_status in PAID_STATUSES


def has_live_package(order: Order) -> bool:
    return any(p.upload_status in LIVE_UPLOAD_STATUSES for p in order.packages.all())


def why_not(order: Order, action: str) -> str | None:
    """Why `order` does not allow `action` now, with the alternative; None when it does."""
    status = order.status
    if action == Action.CANCEL:
        if order.ship_confirmed_at:
            return (
                f"Ship Confirmed on {_date(order, order.ship_confirmed_at)}: cancel is not allowed, "
                "issue a refund or create an RMA."
            )
        if status == S.CANCELED:
            return "The order is already Canceled."
        return transition_error(status, S.CANCELED)
    if action == Action.REFUND:
        if not order.payments.all():
            return "No payment has been applied to this order: there is nothing to refund."
        return None
    if action == Action.SHIP:
        if status == S.CANCELED:
            return "The order is Canceled: it cannot be shipped."
        if status == S.ON_HOLD:
            return "The order is On Hold: release the hold first."
        # A replacement order has nothing to pay (its Grand Total is 0): it ships without payment.
        if not is_paid(order) and order.replacement_of_id is None:
            return "The order is not paid: ship it once its payment has arrived."
        adapter = adapter_for(order)
        if adapter.one_parcel_per_order and has_live_package(order):
            return f"{adapter.label} accepts one parcel per order, and this order already has a package."
        if status == S.COMPLETED:
            return "The order is already shipped."
        return None
    if action == Action.HOLD:
        if status == S.ON_HOLD:
            return "The order is already On Hold."
        if status in (S.CANCELED, S.COMPLETED):
            return f"The order is {S(status).label}: there is nothing left to hold."
        return None
    if action == Action.RELEASE_HOLD:
        return None if status == S.ON_HOLD else "The order is not On Hold."
    if action == Action.RESOLVE_PROBLEM:
        return None if status == S.PROBLEM else "The order is not a Problem Order."
    if action == Action.EDIT_ADDRESS:
        if order.shipping_status != ShippingStatus.UNSHIPPED:
            return "The order has shipped: its shipping address can no longer change."
        return None
    if action == Action.ADD_NOTE:
        return None
    if action == Action.CREATE_RMA:
        # Goods come back only once they left (SPEC S8); what is left to return is the service's check.
        if status == S.CANCELED:
            return "The order is Canceled: there is nothing to return."
        if order.shipping_status == ShippingStatus.UNSHIPPED:
            return "The order has not shipped: there is nothing to return yet."
        return None
    raise ValueError(f"Unknown order action {action!r}")


def check_action(order: Order, action: str) -> None:
    """Raise OrderRuleError with the reason when `order` does not allow `action`."""
    if reason := why_not(order, action):
        raise OrderRuleError(reason)
