"""What an RMA allows, and why not: the one place for the RMA's rules. The services check them
under the RMA's row lock; RMA Details shows each refused action disabled with its reason.
Functions read `rma.items.all()` and `rma.refunds.all()`: prefetch them."""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from .models import RMA, Order, RMAItem
from .rma_choices import FINISHED_RMA_STATUSES, REPLACEMENT_RESOLUTIONS, ReceivedStatus, Resolution, RMAStatus
from .rma_values import rma_refundable


class RMAAction(models.TextChoices):
    """The Actions menu of RMA Details."""

    RECEIVE = "receive", "Receive Return"
    RESOLVE = "resolve", "Set Resolution"
    REFUND = "refund", "Issue Refund"
    HOLD = "hold", "Put On Hold"
    RELEASE = "release", "Release"
    CLOSE = "close", "Close"
    CANCEL = "cancel", "Cancel"


def _finished(rma: RMA) -> str | None:
    if rma.status in FINISHED_RMA_STATUSES:
        return f"The RMA is {RMAStatus(rma.status).label}: nothing more can be done to it."
    return None


def _workable(rma: RMA) -> str | None:
    """Receiving and deciding need an RMA that is neither finished nor On Hold."""
    if reason := _finished(rma):
        return reason
    if rma.status == RMAStatus.ON_HOLD:
        return "The RMA is On Hold: release it first."
    return None


def rma_why_not(rma: RMA, action: str) -> str | None:
    """Why `rma` does not allow `action` now; None when it does."""
    items = list(rma.items.all())
    if action == RMAAction.RECEIVE:
        if reason := _workable(rma):
            return reason
        if rma.received_status == ReceivedStatus.RECEIVED:
            return "Everything expected on this RMA has been received."
        return None
    if action == RMAAction.RESOLVE:
        return _workable(rma)
    if action == RMAAction.REFUND:
        if rma.status == RMAStatus.CANCELLED:
            return "The RMA is Cancelled: there is nothing to refund."
        if not any(item.resolution == Resolution.REFUND for item in items):
            return "No item of this RMA has the resolution Refund: set it first."
        if rma_refundable(rma) <= 0:
            return "What this RMA's items are worth has been refunded already."
        return None
    if action == RMAAction.HOLD:
        if rma.status == RMAStatus.ON_HOLD:
            return "The RMA is already On Hold."
        return _finished(rma)
    if action == RMAAction.RELEASE:
        return None if rma.status == RMAStatus.ON_HOLD else "The RMA is not On Hold."
    if action == RMAAction.CLOSE:
        if reason := _workable(rma):
            return reason
        undecided = [item.order_item.sku for item in items if item.resolution == Resolution.NOT_DECIDED]
        if undecided:
            return f"Set a resolution for every item first: {', '.join(undecided)} is Not Decided."
        return None
    if action == RMAAction.CANCEL:
        if reason := _finished(rma):
            return reason
        if any(item.received_quantity for item in items):
            return "Items of this RMA were received: it cannot be cancelled (close it instead)."
        return None
    raise ValueError(f"Unknown RMA action {action!r}")


def resolution_error(item: RMAItem, resolution: str, exchange_sku: str) -> str | None:
    """Why `item` cannot take `resolution` now; None when it can."""
    sku = item.order_item.sku
    if item.replacement_order_id:
        return f"{sku} already has its replacement order {item.replacement_order_id}: its resolution stays."
    if resolution in REPLACEMENT_RESOLUTIONS and not item.received_quantity:
        label = Resolution(resolution).label
        return f"Receive the return of {sku} first: {label} sends goods out once the item is back."
    if resolution == Resolution.EXCHANGE and not exchange_sku:
        return "Type the SKU to send in exchange."
    return None


def rma_refund_error(rma: RMA, order: Order, amount: Decimal) -> str | None:
    """Why a refund of `amount` from `rma` is refused (orders.services.refund_issue asks)."""
    if rma.order_id != order.pk:
        return "This RMA belongs to another order."
    if reason := rma_why_not(rma, RMAAction.REFUND):
        return reason
    refundable = rma_refundable(rma)
    if amount > refundable:
        return (
            f"Amount To Refund ({amount} {order.currency}) is more than what {rma.number}'s items are worth "
            f"({refundable} {order.currency} still refundable on this RMA)."
        )
    return None
