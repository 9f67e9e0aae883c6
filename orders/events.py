"""The order's history lines, one function per kind (saleor's events.py), so each message is
written once. Every change to an order writes one; they show under Notes and History on Order
Details. A channel's own lines (what the marketplace reported) live in its app and are built
with `order_event`.

Each function saves the line, or with `commit=False` returns it unsaved, for a caller that
writes many at once (the download's bulk create).
"""

from datetime import date
from decimal import Decimal
from typing import Any

from sellercloud.db import unsaved
from sellercloud.models import User

from .choices import EventKind, OrderStatus
from .models import RMA, Order, OrderEvent, Package, Payment, Refund
from .money import money_text
from .rma_choices import Resolution, RMAStatus


def order_event(
    *,
    order: Order,
    kind: EventKind,
    message: str,
    user: User | None = None,
    source: str = "",
    data: dict[str, Any] | None = None,
    commit: bool = True,
) -> OrderEvent:
    """One line of the order's history. `user` acted, or else `source` (e.g. "Cdiscount")."""
    event = unsaved(
        OrderEvent,
        order=order,
        kind=kind,
        message=message,
        user=user if user is not None and user.is_authenticated else None,
        source="" if user is not None and user.is_authenticated else source,
        data=data or {},
    )
    if commit:
        event.save()
    return event


def _with_note(message: str, note: str) -> str:
    return f"{message}. {note}" if note else message


def hold_set_event(
    *,
    order: Order,
    by: User | None,
    source: str,
    reason: str,
    status_before: str,
    channel_request: str = "",
    commit: bool = True,
) -> OrderEvent:
    return order_event(
        order=order,
        kind=EventKind.HOLD,
        message=f"Set On Hold: {reason}",
        user=by,
        source=source,
        data={"reason": reason, "from": status_before, "channel_request": channel_request},
        commit=commit,
    )


def hold_released_event(
    *, order: Order, by: User | None, source: str, restored: str, released_request: str, note: str
) -> OrderEvent:
    return order_event(
        order=order,
        kind=EventKind.RELEASE,
        message=_with_note(f"Hold released: back to {OrderStatus(restored).label}", note),
        user=by,
        source=source,
        data={"restored": restored, "released_channel_request": released_request, "note": note},
    )


def cancelled_internally_event(
    *, order: Order, by: User, reason: str, status_before: str, withdrawn: int, channel_note: str
) -> OrderEvent:
    return order_event(
        order=order,
        kind=EventKind.CANCEL,
        message=_with_note(f"Set Cancelled Internally: {reason}", channel_note),
        user=by,
        data={"reason": reason, "from": status_before, "packages_withdrawn": withdrawn},
    )


def refund_issued_event(
    *,
    order: Order,
    by: User,
    payment: Payment,
    amount: Decimal,
    notes: str,
    refund_date: date,
    refund_method: str,
    reference_number: str,
    payment_status: str,
    channel_note: str,
    rma: RMA | None = None,
) -> OrderEvent:
    data: dict[str, Any] = {
        "amount": str(amount),
        "payment_id": payment.pk,
        "refund_date": refund_date.isoformat(),
        "refund_method": refund_method,
        "reference_number": reference_number,
        "payment_status": payment_status,
    }
    of = ""
    if rma is not None:
        of, data["rma_id"] = f" from {rma.number}", rma.pk
    return order_event(
        order=order,
        kind=EventKind.REFUND,
        message=_with_note(
            f"Refund of {money_text(amount, payment.currency)} ({payment.operation_type}){of}: {notes}", channel_note
        ),
        user=by,
        data=data,
    )


def channel_refund_event(*, order: Order, refund: Refund, source: str, payment_status: str) -> OrderEvent:
    """A refund the channel made (SPEC S5): no user, the channel as its source."""
    return order_event(
        order=order,
        kind=EventKind.REFUND,
        message=f"Refund of {money_text(refund.amount, refund.currency)} by {source}: {refund.notes}",
        source=source,
        data={
            "amount": str(refund.amount),
            "payment_id": refund.payment_id,
            "refund_date": refund.refund_date.isoformat(),
            "channel_key": refund.channel_key,
            "payment_status": payment_status,
        },
    )


def shipped_event(*, order: Order, by: User | None, package: Package, upload_note: str) -> OrderEvent:
    message = f"Shipped with {package.carrier} {package.tracking_number}"
    return order_event(
        order=order,
        kind=EventKind.SHIPMENT,
        message=f"{message}: {upload_note}" if upload_note else message,
        user=by,
        data={
            "package_id": package.pk,
            "carrier": package.carrier,
            "service": package.service,
            "tracking_number": package.tracking_number,
            "tracking_url": package.tracking_url,
            "ship_date": package.ship_date.isoformat(),
            "shipping_cost": str(package.shipping_cost),
            "upload_status": package.upload_status,
        },
    )


def note_added_event(*, order: Order, by: User, text: str) -> OrderEvent:
    return order_event(order=order, kind=EventKind.NOTE, message=text, user=by)


def problem_resolved_event(*, order: Order, by: User, note: str) -> OrderEvent:
    return order_event(order=order, kind=EventKind.STATUS, message=f"Problem resolved: {note}", user=by)


def address_edited_event(
    *, order: Order, by: User, before: dict[str, Any], after: dict[str, str], labels: dict[str, str]
) -> OrderEvent:
    """What changed, old and new, in the history itself (the data keeps both addresses whole)."""
    changes = [
        f"{labels.get(name, name)} “{before.get(name) or ''}” → “{value}”"
        for name, value in after.items()
        if (before.get(name) or "") != value
    ]
    return order_event(
        order=order,
        kind=EventKind.ADDRESS,
        message="Shipping address edited: " + ("; ".join(changes) or "no change"),
        user=by,
        data={"before": before, "after": after},
    )


# Returns (issue 22): every line names its RMA in data["rma_id"], so RMA Details lists its own.


def rma_created_event(*, order: Order, by: User, rma: RMA, lines: list[tuple[str, int, str]]) -> OrderEvent:
    """`lines`: (SKU, quantity, reason) of each returned item."""
    returned = ", ".join(f"{qty} x {sku} ({reason})" for sku, qty, reason in lines)
    return order_event(
        order=order,
        kind=EventKind.RMA,
        message=f"{rma.number} created: {returned}",
        user=by,
        data={"rma_id": rma.pk, "number": rma.number, "lines": [list(line) for line in lines]},
    )


def rma_received_event(*, rma: RMA, by: User, lines: list[tuple[str, int, str]], received_status: str) -> OrderEvent:
    """`lines`: (SKU, quantity received now, condition label)."""
    received = ", ".join(f"{qty} x {sku} ({condition})" for sku, qty, condition in lines)
    return order_event(
        order=rma.order,
        kind=EventKind.RMA,
        message=f"{rma.number} return received: {received}",
        user=by,
        data={"rma_id": rma.pk, "lines": [list(line) for line in lines], "received_status": received_status},
    )


def rma_resolution_event(*, rma: RMA, by: User, skus: list[str], resolution: str, comment: str) -> OrderEvent:
    label = Resolution(resolution).label
    message = f"{rma.number} resolution {label} for {', '.join(skus)}"
    return order_event(
        order=rma.order,
        kind=EventKind.RMA,
        message=_with_note(message, comment),
        user=by,
        data={"rma_id": rma.pk, "skus": skus, "resolution": resolution, "comment": comment},
    )


def rma_status_event(*, rma: RMA, by: User, status_before: str, note: str = "") -> OrderEvent:
    """Put On Hold, Release, Close, Cancel: the RMA's status moved from `status_before`."""
    message = f"{rma.number} {RMAStatus(status_before).label} → {RMAStatus(rma.status).label}"
    return order_event(
        order=rma.order,
        kind=EventKind.RMA,
        message=_with_note(message, note),
        user=by,
        data={"rma_id": rma.pk, "from": status_before, "to": rma.status, "note": note},
    )


def replacement_created_events(*, rma: RMA, by: User, replacement: Order, sku: str, quantity: int) -> None:
    """One line on each order: the original names its replacement, the replacement its original."""
    data = {"rma_id": rma.pk, "original_id": rma.order_id, "replacement_id": replacement.pk, "sku": sku}
    order_event(
        order=rma.order,
        kind=EventKind.REPLACEMENT,
        message=f"Replacement order {replacement.pk} created from {rma.number}: {quantity} x {sku}",
        user=by,
        data=data,
    )
    order_event(
        order=replacement,
        kind=EventKind.REPLACEMENT,
        message=f"Replacement of order {rma.order_id} ({rma.number}): {quantity} x {sku}, nothing to pay",
        user=by,
        data=data,
    )


def refund_reference_event(*, order: Order, by: User, refund: Refund, reference_number: str) -> OrderEvent:
    return order_event(
        order=order,
        kind=EventKind.REFUND,
        message=f"Reference Number {reference_number} added to the refund of "
        f"{money_text(refund.amount, refund.currency)}",
        user=by,
        data={"refund_id": refund.pk, "reference_number": reference_number},
    )
