"""RMA services (issue 22): every change to an RMA goes through one of these.

Each locks what it changes (the order for Create RMA, the RMA row otherwise), re-checks the
rule in orders.rma_rules, changes what it must and writes an OrderEvent on the order. They raise
OrderRuleError with a sentence a user can read; on error nothing has changed (one transaction).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from sellercloud.models import User

from ..events import rma_created_event, rma_received_event, rma_resolution_event, rma_status_event
from ..models import RMA, Order, OrderItem, RMAItem, RMASequence
from ..rma_choices import REPLACEMENT_RESOLUTIONS, ItemCondition, ReceivedStatus, Resolution, RMAStatus
from ..rma_rules import RMAAction, resolution_error, rma_why_not
from ..rma_values import returnable_quantity, returned_quantities
from ..rules import Action, OrderRuleError, check_action
from ..services import locked
from .reasons import return_reasons
from .replacement import replacement_order_create

__all__ = [
    "ReturnLine",
    "Receipt",
    "rma_cancel",
    "rma_close",
    "rma_create",
    "rma_hold",
    "rma_receive",
    "rma_release",
    "rma_set_resolution",
]


@dataclass(frozen=True)
class ReturnLine:
    """One ticked item of Create RMA: Qty to Return and its Reason ("" to use the one for all)."""

    order_item_id: int
    quantity: int
    reason: str = ""


@dataclass(frozen=True)
class Receipt:
    """Receive Return for one RMA item: the quantity received now and its condition."""

    rma_item_id: int
    quantity: int
    condition: str


def locked_rma(rma: RMA) -> RMA:
    """The RMA re-read under its row lock, with what its rules read."""
    return (
        RMA.objects.select_for_update(of=("self",))
        .select_related("order__company", "company")
        .prefetch_related("items__order_item", "refunds")
        .get(pk=rma.pk)
    )


def _check(rma: RMA, action: RMAAction) -> None:
    if reason := rma_why_not(rma, action):
        raise OrderRuleError(reason)


def _next_number(order: Order) -> str:
    """RMA-000042: the company's next number, moved under the sequence's row lock so two RMAs
    created at once never share one."""
    RMASequence.objects.get_or_create(company_id=order.company_id)
    sequence = RMASequence.objects.select_for_update().get(company_id=order.company_id)
    number = sequence.next_number
    sequence.next_number = number + 1
    sequence.save(update_fields=["next_number"])
    return f"RMA-{number:06d}"


def _checked_lines(order: Order, lines: list[ReturnLine], reason_for_all: str) -> list[tuple[OrderItem, int, str]]:
    """The lines with their order item, once every quantity and reason is allowed."""
    if not lines:
        raise OrderRuleError("Tick at least one item to return.")
    items = {item.pk: item for item in order.items.all()}
    returned = returned_quantities(order.pk)
    reasons = {reason.name for reason in return_reasons(order.company)}
    checked = []
    for line in lines:
        item = items.get(line.order_item_id)
        if item is None:
            raise OrderRuleError("An item ticked is not on this order.")
        if line.quantity < 1:
            raise OrderRuleError(f"Qty to Return of {item.sku} must be at least 1.")
        left = returnable_quantity(item, returned)
        if line.quantity > left:
            raise OrderRuleError(
                f"Qty to Return of {item.sku} ({line.quantity}) is more than can be returned ({left}: "
                "shipped less what is already on RMAs)."
            )
        reason = (line.reason or reason_for_all).strip()
        if reason not in reasons:
            message = "Choose a Reason" if not reason else f"“{reason}” is not one of the company's return reasons"
            raise OrderRuleError(f"{message} for {item.sku}, or one Return Reason For All Items.")
        checked.append((item, line.quantity, reason))
    if len({item.pk for item, _, _ in checked}) != len(checked):
        raise OrderRuleError("Each item is listed once.")
    return checked


@transaction.atomic
def rma_create(
    *,
    order: Order,
    by: User,
    lines: list[ReturnLine],
    reason_for_all: str = "",
    description: str = "",
    channel_reference: str = "",
) -> RMA:
    """Create RMA: the ticked items of a shipped order come back, each at most shipped minus
    what is already on RMAs not Cancelled (checked under the order's row lock)."""
    order = locked(order)
    check_action(order, Action.CREATE_RMA)
    checked = _checked_lines(order, lines, reason_for_all)
    rma = RMA.objects.create(
        company_id=order.company_id,
        order=order,
        number=_next_number(order),
        description=description.strip(),
        channel_reference=channel_reference.strip(),
        created_by=by,
    )
    RMAItem.objects.bulk_create(
        [RMAItem(rma=rma, order_item=item, quantity=qty, reason=reason) for item, qty, reason in checked]
    )
    rma_created_event(order=order, by=by, rma=rma, lines=[(item.sku, qty, reason) for item, qty, reason in checked])
    return rma


def _received_status(items: list[RMAItem]) -> ReceivedStatus:
    received = sum(item.received_quantity for item in items)
    if not received:
        return ReceivedStatus.NOT_RECEIVED
    if all(item.received_quantity >= item.quantity for item in items):
        return ReceivedStatus.RECEIVED
    return ReceivedStatus.PARTIALLY_RECEIVED


@transaction.atomic
def rma_receive(*, rma: RMA, by: User, receipts: list[Receipt]) -> RMA:
    """Receive Return: quantities received now, each with its condition. Under the RMA's row lock,
    so two receipts posted at once never take an item above what is expected."""
    rma = locked_rma(rma)
    _check(rma, RMAAction.RECEIVE)
    items = {item.pk: item for item in rma.items.all()}
    receipts = [r for r in receipts if r.quantity]
    if not receipts:
        raise OrderRuleError("Enter the quantity received of at least one item.")
    lines = []
    for receipt in receipts:
        item = items.get(receipt.rma_item_id)
        if item is None:
            raise OrderRuleError("An item received is not on this RMA.")
        sku, expected = item.order_item.sku, item.quantity - item.received_quantity
        if receipt.quantity < 0:
            raise OrderRuleError(f"Qty received of {sku} cannot be negative.")
        if receipt.quantity > expected:
            raise OrderRuleError(
                f"Qty received of {sku} ({receipt.quantity}) is more than expected ({expected} still expected)."
            )
        if receipt.condition not in ItemCondition.values:
            raise OrderRuleError(f"Choose the condition of {sku}: Sellable, Damaged or Missing Parts.")
        item.received_quantity += receipt.quantity
        item.condition = receipt.condition
        lines.append((sku, receipt.quantity, ItemCondition(receipt.condition).label))
    RMAItem.objects.bulk_update(list(items.values()), ["received_quantity", "condition"])
    rma.received_status = _received_status(list(items.values()))
    rma.save(update_fields=["received_status", "updated_at"])
    rma_received_event(rma=rma, by=by, lines=lines, received_status=rma.received_status)
    return rma


@transaction.atomic
def rma_set_resolution(
    *, rma: RMA, by: User, item_ids: list[int], resolution: str, comment: str = "", exchange_sku: str = ""
) -> list[Order]:
    """Set Resolution of the chosen items, with a comment. Replace and Exchange create the
    replacement order of each item (they need the item received first); returns those orders."""
    rma = locked_rma(rma)
    _check(rma, RMAAction.RESOLVE)
    if resolution not in Resolution.values:
        raise OrderRuleError("Choose a resolution from the list.")
    items = {item.pk: item for item in rma.items.all()}
    chosen = [items[pk] for pk in dict.fromkeys(item_ids) if pk in items]
    if not chosen or len(chosen) != len(set(item_ids)):
        raise OrderRuleError("Tick the items of this RMA the resolution is for.")
    exchange_sku = exchange_sku.strip() if resolution == Resolution.EXCHANGE else ""
    for item in chosen:
        if reason := resolution_error(item, resolution, exchange_sku):
            raise OrderRuleError(reason)
    comment = comment.strip()
    replacements = []
    for item in chosen:
        item.resolution, item.comment, item.exchange_sku = resolution, comment, exchange_sku
        if resolution in REPLACEMENT_RESOLUTIONS:
            item.replacement_order = replacement_order_create(rma=rma, item=item, by=by)
            replacements.append(item.replacement_order)
    RMAItem.objects.bulk_update(chosen, ["resolution", "comment", "exchange_sku", "replacement_order"])
    rma.save(update_fields=["updated_at"])
    skus = [item.order_item.sku for item in chosen]
    rma_resolution_event(rma=rma, by=by, skus=skus, resolution=resolution, comment=comment)
    return replacements


def _move(rma: RMA, by: User, action: RMAAction, status: str, note: str = "") -> RMA:
    rma = locked_rma(rma)
    _check(rma, action)
    before = rma.status
    rma.status_before_hold = before if status == RMAStatus.ON_HOLD else ""
    rma.status = status
    rma.save(update_fields=["status", "status_before_hold", "updated_at"])
    rma_status_event(rma=rma, by=by, status_before=before, note=note)
    return rma


@transaction.atomic
def rma_hold(*, rma: RMA, by: User, note: str = "") -> RMA:
    """Put On Hold: nothing is received or decided until Release; the status it replaced is kept."""
    return _move(rma, by, RMAAction.HOLD, RMAStatus.ON_HOLD, note.strip())


@transaction.atomic
def rma_release(*, rma: RMA, by: User) -> RMA:
    """Release: back to the status the hold replaced."""
    current = locked_rma(rma)
    return _move(current, by, RMAAction.RELEASE, current.status_before_hold or RMAStatus.OPEN)


@transaction.atomic
def rma_close(*, rma: RMA, by: User) -> RMA:
    """Close: every item has its resolution."""
    return _move(rma, by, RMAAction.CLOSE, RMAStatus.CLOSED)


@transaction.atomic
def rma_cancel(*, rma: RMA, by: User) -> RMA:
    """Cancel: only while nothing was received; its quantities can be returned on another RMA."""
    return _move(rma, by, RMAAction.CANCEL, RMAStatus.CANCELLED)
