"""What can be returned and what a return is worth: one function each, read by the rules, the
services, the forms and the pages."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum

from .choices import ShippingStatus
from .models import RMA, ZERO, OrderItem, RMAItem
from .rma_choices import WITHDRAWAL_REASON, Resolution, RMAStatus

CENT = Decimal("0.01")


def shipped_quantity(item: OrderItem) -> int:
    """How many of `item` left the warehouse. Packages do not list items (a Cdiscount order ships
    in one parcel), so a line not cancelled of a shipped order counts as shipped in full."""
    if item.cancelled or item.order.shipping_status == ShippingStatus.UNSHIPPED:
        return 0
    return item.quantity


def returned_quantities(order_id: int) -> dict[int, int]:
    """Order item id -> quantity already on RMAs of the order that are not Cancelled."""
    rows = (
        RMAItem.objects.filter(rma__order_id=order_id)
        .exclude(rma__status=RMAStatus.CANCELLED)
        .values("order_item_id")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    return {row["order_item_id"]: row["total"] for row in rows}


def returnable_quantity(item: OrderItem, returned: dict[int, int]) -> int:
    """Shipped minus already returned (Create RMA's limit for Qty to Return)."""
    return max(shipped_quantity(item) - returned.get(item.pk, 0), 0)


def item_value(rma_item: RMAItem) -> Decimal:
    """What one returned line is worth: its unit price times the quantity returned, plus its share
    of the line's shipping when the customer withdrew within 14 days (the delivery is refunded)."""
    line = rma_item.order_item
    value = line.unit_price * rma_item.quantity
    if rma_item.reason == WITHDRAWAL_REASON and line.quantity:
        value += line.shipping * rma_item.quantity / line.quantity
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def items_value(items: Iterable[RMAItem]) -> Decimal:
    return sum((item_value(item) for item in items), ZERO)


def rma_refunded(rma: RMA) -> Decimal:
    """What was refunded against this RMA so far (reads rma.refunds.all(): prefetch it)."""
    return sum((refund.amount for refund in rma.refunds.all()), ZERO)


def rma_refundable(rma: RMA) -> Decimal:
    """What the RMA's items are worth, less what was refunded against it: the most a refund from
    this RMA may be."""
    return max(items_value(rma.items.all()) - rma_refunded(rma), ZERO)


def rma_refund_suggestion(rma: RMA) -> Decimal:
    """Issue Refund's default from an RMA: the value of its items resolved Refund, less what was
    refunded against it already."""
    to_refund = [item for item in rma.items.all() if item.resolution == Resolution.REFUND]
    return max(items_value(to_refund) - rma_refunded(rma), ZERO)
