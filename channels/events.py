"""Cdiscount's lines in an order's history, one function per kind (saleor's events.py), so each
message is written once. A line says what Cdiscount reported or what we did on Cdiscount; the
order's own actions (holds, refunds, ...) are orders.events'.

`by` is the user who asked, or None when a run of ours acted on its own: the line then reads
"Cdiscount" as its source. With `commit=False` a line is returned unsaved (the bulk create).
"""

from decimal import Decimal
from typing import Any

from orders.choices import Channel, EventKind, OrderStatus
from orders.events import order_event
from orders.models import Order, OrderEvent
from orders.money import money_text
from sellercloud.db import model_field
from sellercloud.models import User

SOURCE = Channel.CDISCOUNT.label
# Fields that change only with another one the line already names.
QUIET_FIELDS = frozenset({"channel_updated_at", "search_name"})


# The download -------------------------------------------------------------------------------


def order_downloaded_event(*, order: Order, channel_status: str, commit: bool = True) -> OrderEvent:
    return order_event(
        order=order,
        kind=EventKind.CREATED,
        message=f"Cdiscount: order downloaded ({channel_status})",
        source=SOURCE,
        data={"channel_status": channel_status},
        commit=commit,
    )


def payment_recorded_event(
    *, order: Order, amount: Decimal, currency: str, reference: str, commit: bool = True
) -> OrderEvent:
    return order_event(
        order=order,
        kind=EventKind.PAYMENT,
        message=f"Cdiscount payment of {money_text(amount, currency)} recorded",
        source=SOURCE,
        data={"amount": str(amount), "reference": reference},
        commit=commit,
    )


def ship_confirmed_event(*, order: Order, channel_status: str, commit: bool = True) -> OrderEvent:
    # A Channel update, not a Tracking upload: Cdiscount said so, we uploaded nothing.
    return order_event(
        order=order,
        kind=EventKind.CHANNEL,
        message=f"Cdiscount reports the order {channel_status}: Ship Confirmed",
        source=SOURCE,
        commit=commit,
    )


def order_updated_event(*, order: Order, changed: list[str], previous_status: str) -> OrderEvent:
    if "channel_status" in changed:
        message = f"Cdiscount: status {previous_status or 'unknown'} -> {order.channel_status}"
    else:
        labels = ", ".join(str(model_field(Order, f).verbose_name) for f in changed if f not in QUIET_FIELDS)
        message = f"Cdiscount: order updated ({labels or 'last update time'})"
    return order_event(order=order, kind=EventKind.CHANNEL, message=message, source=SOURCE, data={"fields": changed})


def lines_updated_event(*, order: Order, lines: list[str]) -> OrderEvent:
    return order_event(
        order=order,
        kind=EventKind.CHANNEL,
        message=f"Cdiscount: lines updated ({', '.join(lines)})",
        source=SOURCE,
        data={"lines": lines},
    )


def status_set_event(*, order: Order, status: str, why: str) -> OrderEvent:
    """The download moved the Order Status; `why` says what Cdiscount reported."""
    return order_event(order=order, kind=EventKind.STATUS, message=why, source=SOURCE, data={"status": status})


def shipped_while_on_hold_event(*, order: Order) -> OrderEvent:
    return order_event(
        order=order,
        kind=EventKind.CHANNEL,
        message="Cdiscount reports the order shipped while it is On Hold: it stays On Hold until released.",
        source=SOURCE,
    )


def parcel_recorded_event(*, order: Order, parcel_number: str, carrier_name: str) -> OrderEvent:
    return order_event(
        order=order,
        kind=EventKind.SHIPMENT,
        message=f"Cdiscount parcel {parcel_number} ({carrier_name}) recorded as a package",
        source=SOURCE,
    )


# Accept and refuse ---------------------------------------------------------------------------


def approval_failed_event(*, order: Order, by: User, message: str, error: str) -> OrderEvent:
    return order_event(order=order, kind=EventKind.ACCEPTANCE, message=message, user=by, data={"error": error})


def approval_event(
    *,
    order: Order,
    by: User | None,
    accepted: bool,
    already_done: bool,
    status_note: str,
    data: dict[str, Any],
    reason: str = "",
) -> OrderEvent:
    """Cdiscount's answer to Accept / Refuse Order, or to auto-accept (`by` None)."""
    message = f"{'Accepted' if accepted else 'Refused'} on Cdiscount"
    if by is None:
        message = "Auto-" + message[0].lower() + message[1:]
    if already_done:
        message += " (Cdiscount already had this decision)"
    message += status_note + "." + (f" Reason: {reason}" if reason else "")
    return order_event(order=order, kind=EventKind.ACCEPTANCE, message=message, user=by, source=SOURCE, data=data)


def auto_accept_failed_event(*, order: Order, message: str) -> OrderEvent:
    return order_event(order=order, kind=EventKind.ACCEPTANCE, message=message, source=SOURCE)


def refusal_status_note(*, cancelled: bool, status: str, reason: str) -> str:
    """What a refusal did to the Order Status, appended to the approval line."""
    if cancelled:
        return ": the order is Canceled"
    return f". The Order Status stays {OrderStatus(status).label}: {reason}"


# Tracking upload -----------------------------------------------------------------------------


def upload_retry_requested_event(
    *, order: Order, by: User | None, package_id: int, tracking_number: str, previous_status: str
) -> OrderEvent:
    return order_event(
        order=order,
        kind=EventKind.UPLOAD,
        message=f"Upload retry of tracking {tracking_number} requested",
        user=by,
        data={"package_id": package_id, "previous_status": previous_status},
    )


def upload_by_hand_requested_event(
    *, order: Order, by: User | None, package_id: int, tracking_number: str
) -> OrderEvent:
    return order_event(
        order=order,
        kind=EventKind.UPLOAD,
        message=f"Upload of tracking {tracking_number} to Cdiscount requested by hand",
        user=by,
        data={"package_id": package_id},
    )


def tracking_uploaded_event(
    *, order: Order, by: User | None, tracking_number: str, carrier: str, already_there: bool, data: dict[str, Any]
) -> OrderEvent:
    if already_there:
        message = (
            f"Tracking {tracking_number} was already on Cdiscount (an earlier upload whose answer was lost): "
            "marked Uploaded, Ship Confirmed"
        )
    else:
        message = f"Tracking uploaded to Cdiscount ({carrier} {tracking_number}): Ship Confirmed"
    return order_event(order=order, kind=EventKind.UPLOAD, message=message, user=by, source=SOURCE, data=data)


def tracking_upload_failed_event(*, order: Order, by: User | None, reason: str, data: dict[str, Any]) -> OrderEvent:
    return order_event(
        order=order,
        kind=EventKind.UPLOAD,
        message=f"Tracking upload to Cdiscount failed: {reason}",
        user=by,
        source=SOURCE,
        data=data,
    )


# Invoice upload (issue 21) ---------------------------------------------------------------------
# Kind Invoice, with the upload's id in the data: Order Details lists them under the invoice.


def invoice_upload_event(
    *, order: Order, by: User | None, upload_id: int, number: str, step: str, data: dict[str, Any] | None = None
) -> OrderEvent:
    """One step of an invoice's upload: `step` is one of INVOICE_UPLOAD_STEPS' keys, or a
    sentence of its own (a failure's reason)."""
    if step in INVOICE_UPLOAD_STEPS:
        message = INVOICE_UPLOAD_STEPS[step].format(number=number, **(data or {}))
    else:  # Cdiscount's words may hold braces: never a format string
        message = f"Invoice {number}: upload to Cdiscount failed: {step}"
    return order_event(
        order=order,
        kind=EventKind.INVOICE,
        message=message,
        user=by,
        source=SOURCE,
        data={
            "invoice_upload_id": upload_id,
            "step": step if step in INVOICE_UPLOAD_STEPS else "failed",
            **(data or {}),
        },
    )


INVOICE_UPLOAD_STEPS = {
    "posted": "Invoice {number} posted to Cdiscount (import {import_id}: Running)",
    "uploaded": "Invoice {number} uploaded to Cdiscount (import {import_id}: Success)",
    "already_there": (
        "Invoice {number} was already on Cdiscount (an earlier upload whose answer was lost): marked Uploaded"
    ),
    "following": "Invoice {number} was already on Cdiscount, its import still running: following import {import_id}",
    "retry": "Upload retry of invoice {number} to Cdiscount requested",
}
