"""Order services: every change to an order goes through one of these (SPEC S5, S8).

Each one locks the order row, re-checks the rule in orders.rules, changes what it must, and
writes an OrderEvent. They raise OrderRuleError with a message a user can read; on error nothing
has changed (each runs in one transaction).
"""

import re
import uuid
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from sellercloud.models import User

from . import hooks
from .channel_registry import adapter_for
from .choices import OrderStatus, RefundMethod, ShippingStatus, UploadStatus
from .events import (
    address_edited_event,
    cancelled_internally_event,
    note_added_event,
    problem_resolved_event,
    refund_issued_event,
    refund_reference_event,
    shipped_event,
)
from .links import is_http_url
from .models import RMA, Order, Package, Payment, Refund
from .money import MoneyError, check_money
from .payments import order_refresh_payment_status, refundable_amount
from .rma_rules import rma_refund_error
from .rules import (
    Action,
    OrderRuleError,
    check_action,
    check_transition,
    shipping_status_after_withdrawal,
    status_after_problem,
)

__all__ = [
    "OrderRuleError",
    "order_add_note",
    "order_cancel_internally",
    "order_resolve_problem",
    "order_ship",
    "order_update_shipping_address",
    "refund_issue",
    "validate_tracking",
]

# What a user may type as a tracking number, on every channel (SPEC S8, issue 14): what carriers
# issue, ASCII letters, digits and hyphens, at most 50 (Cdiscount's limit). Explicit ranges and no
# IGNORECASE: \w, and [a-z] under IGNORECASE, also take non-ASCII letters (the Kelvin sign K).
# A parcel number the marketplace sends is not checked against it: it is kept as it came.
TRACKING_MAX_LENGTH = 50
TRACKING_NUMBER = re.compile(rf"[A-Za-z0-9-]{{1,{TRACKING_MAX_LENGTH}}}")
TRACKING_NUMBER_INVALID = (
    "Tracking number may hold only letters A-Z, digits 0-9 and hyphens (-), "
    "with no spaces or other signs, such as 6A12345678901."
)
TRACKING_URL_INVALID = (
    "Tracking URL must be an http or https address, with no spaces, "
    "such as https://www.laposte.fr/outils/suivre-vos-envois?code=6A12345678901."
)


def locked(order: Order) -> Order:
    """The order re-read under a row lock: the rule is checked on what is true now."""
    return Order.objects.select_for_update(of=("self",)).select_related("company", "channel_account").get(pk=order.pk)


def _money(amount: Decimal, *, label: str) -> Decimal:
    """`amount` once a money column holds it (orders.money): a caller other than a form (the
    import, a bulk action, a script) gets the form's message rather than a database error."""
    try:
        return check_money(amount, label=label)
    except MoneyError as exc:
        raise OrderRuleError(str(exc)) from None


def company_today(order: Order) -> date:
    return timezone.localdate(timezone=ZoneInfo(order.company.time_zone))


def _order_day(order: Order) -> date:
    return timezone.localtime(order.order_date, ZoneInfo(order.company.time_zone)).date()


# Cancel and refund ---------------------------------------------------------------------------


@transaction.atomic
def order_cancel_internally(*, order: Order, by: User, reason: str) -> Order:
    """Set Cancelled Internally (SPEC S8): our records only. Allowed until Ship Confirmed; a
    package still waiting to upload is Withdrawn so it is never uploaded."""
    reason = reason.strip()
    if not reason:
        raise OrderRuleError("Give a reason for the cancellation.")
    order = locked(order)
    check_action(order, Action.CANCEL)
    previous = order.status
    order.status = OrderStatus.CANCELED
    order.status_before_hold = ""
    order.hold_reason = ""
    order.hold_source = ""
    order.save(update_fields=["status", "status_before_hold", "hold_reason", "hold_source", "updated_at"])
    withdrawn = Package.objects.filter(order=order, upload_status=UploadStatus.PENDING).update(
        upload_status=UploadStatus.WITHDRAWN
    )
    if withdrawn:
        order.shipping_status = shipping_status_after_withdrawal(order)
        order.save(update_fields=["shipping_status", "updated_at"])
    cancelled_internally_event(
        order=order,
        by=by,
        reason=reason,
        status_before=previous,
        withdrawn=withdrawn,
        channel_note=adapter_for(order).cancel_note(order),
    )
    hooks.order_cancelled(order_id=order.pk)
    return order


@transaction.atomic
def refund_issue(
    *,
    order: Order,
    by: User,
    payment: Payment,
    amount: Decimal,
    refund_date: date,
    notes: str,
    form_token: uuid.UUID,
    refund_method: str = "",
    reference_number: str = "",
    rma: RMA | None = None,
) -> Refund:
    """Issue Refund (SPEC S8): an internal refund that keeps Payment Status and Profit & Loss right.

    The form's one-time token makes a repeated post return the first refund instead of a second
    one. Under the order's row lock the refundable amount is checked again, so two refunds racing
    for the last euro leave one. From an RMA (issue 22) it is also at most what the RMA's items
    are worth, less what was refunded against it (the RMA is locked after the order).
    """
    order = locked(order)
    existing = Refund.objects.filter(form_token=form_token).first()
    if existing is not None:
        if existing.order_id != order.pk:
            raise OrderRuleError("This refund form belongs to another order; open Issue Refund again.")
        return existing
    check_action(order, Action.REFUND)
    if payment.order_id != order.pk:
        raise OrderRuleError("Choose an Operation Type applied to this order.")
    notes = notes.strip()
    if not notes:
        raise OrderRuleError("Notes are required: say why the payment is refunded.")
    if refund_method and refund_method not in RefundMethod.values:
        raise OrderRuleError("Choose a Refund Method from the list.")
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise OrderRuleError("Amount To Refund must be a number.")
    if amount <= 0:
        raise OrderRuleError("Amount To Refund must be more than 0.")
    _money(amount, label="Amount To Refund")
    refundable = refundable_amount(payment=payment)
    if amount > refundable:
        raise OrderRuleError(
            f"Amount To Refund ({amount} {payment.currency}) is more than what is still refundable "
            f"for {payment.operation_type} ({refundable} {payment.currency})."
        )
    if rma is not None:
        rma = (
            RMA.objects.select_for_update(of=("self",)).prefetch_related("refunds", "items__order_item").get(pk=rma.pk)
        )
        if reason := rma_refund_error(rma, order, amount):
            raise OrderRuleError(reason)
    if refund_date > company_today(order):
        raise OrderRuleError("Refund Date cannot be in the future.")
    if refund_date < _order_day(order):
        raise OrderRuleError("Refund Date cannot be before the order date.")
    refund = Refund.objects.create(
        order=order,
        payment=payment,
        amount=amount,
        currency=payment.currency,
        refund_date=refund_date,
        notes=notes,
        refund_method=refund_method,
        reference_number=reference_number.strip(),
        user=by,
        form_token=form_token,
        rma=rma,
    )
    status = order_refresh_payment_status(order=order)
    refund_issued_event(
        order=order,
        by=by,
        payment=payment,
        amount=amount,
        notes=notes,
        refund_date=refund_date,
        refund_method=refund_method,
        reference_number=reference_number,
        payment_status=status,
        channel_note=adapter_for(order).refund_note(order),
        rma=rma,
    )
    hooks.order_refunded(order_id=order.pk, refund_id=refund.pk)
    return refund


# Shipping ------------------------------------------------------------------------------------


def validate_tracking(*, tracking_number: str, tracking_url: str) -> None:
    """Tracking rules of SPEC S8 for what a user typed (Ship Order, Import Tracking); raises
    OrderRuleError saying what is wrong and what to type."""
    if not tracking_number:
        raise OrderRuleError("Tracking number is required.")
    if len(tracking_number) > TRACKING_MAX_LENGTH:
        raise OrderRuleError(
            f"Tracking number is at most {TRACKING_MAX_LENGTH} characters. This one has {len(tracking_number)}."
        )
    if not TRACKING_NUMBER.fullmatch(tracking_number):
        raise OrderRuleError(TRACKING_NUMBER_INVALID)
    if tracking_url and not is_http_url(tracking_url):
        raise OrderRuleError(TRACKING_URL_INVALID)


@transaction.atomic
def order_ship(
    *,
    order: Order,
    by: User | None,
    carrier: str,
    tracking_number: str,
    ship_date: date,
    service: str = "",
    tracking_url: str = "",
    shipping_cost: Decimal = Decimal("0.00"),
) -> Package:
    """Ship Order (SPEC S8): add a package; the order becomes Fully Shipped and Completed.

    For a Cdiscount order with fulfillment upload on, the package waits as Pending for the upload;
    otherwise it is Not Required (a user can still upload it by hand).
    """
    carrier, tracking_number, tracking_url = carrier.strip(), tracking_number.strip(), tracking_url.strip()
    if not carrier:
        raise OrderRuleError("Carrier is required.")
    validate_tracking(tracking_number=tracking_number, tracking_url=tracking_url)
    _money(shipping_cost, label="Shipping cost")
    order = locked(order)
    check_action(order, Action.SHIP)
    if ship_date > company_today(order):
        raise OrderRuleError("Ship date cannot be in the future.")
    if ship_date < _order_day(order):
        raise OrderRuleError("Ship date cannot be before the order date.")
    check_transition(order, OrderStatus.COMPLETED)
    adapter = adapter_for(order)
    upload_status = adapter.new_package_upload_status(order)
    upload = upload_status == UploadStatus.PENDING
    package = Package.objects.create(
        order=order,
        carrier=carrier,
        service=service.strip(),
        tracking_number=tracking_number,
        tracking_url=tracking_url,
        ship_date=ship_date,
        shipping_cost=shipping_cost,
        upload_status=upload_status,
        next_upload_at=timezone.now() if upload else None,
        created_by=by if by is not None and by.is_authenticated else None,
    )
    order.shipping_status = ShippingStatus.FULLY_SHIPPED
    order.status = OrderStatus.COMPLETED
    order.save(update_fields=["shipping_status", "status", "updated_at"])
    shipped_event(order=order, by=by, package=package, upload_note=adapter.upload_note(order) if upload else "")
    return package


# Notes, problems, addresses ------------------------------------------------------------------


@transaction.atomic
def order_add_note(*, order: Order, by: User, text: str) -> None:
    """Add Note: a line in Notes and History."""
    text = text.strip()
    if not text:
        raise OrderRuleError("Write the note first.")
    note_added_event(order=order, by=by, text=text)


@transaction.atomic
def order_resolve_problem(*, order: Order, by: User, note: str) -> Order:
    """Resolve Problem: a Problem Order goes back to In Process, with a note saying what was done."""
    note = note.strip()
    if not note:
        raise OrderRuleError("Say how the problem was resolved.")
    order = locked(order)
    check_action(order, Action.RESOLVE_PROBLEM)
    resolved = status_after_problem(order)
    check_transition(order, resolved)
    order.status = resolved
    order.save(update_fields=["status", "updated_at"])
    problem_resolved_event(order=order, by=by, note=note)
    return order


# The address fields, with the labels Edit Shipping Address and the history show.
ADDRESS_LABELS = {
    "civility": "Civility",
    "first_name": "First name",
    "last_name": "Last name",
    "company": "Company",
    "line1": "Address",
    "line2": "Address (line 2)",
    "line3": "Address (line 3)",
    "postal_code": "Postal code",
    "city": "City",
    "region": "Region",
    "country_code": "Country",
}
ADDRESS_FIELDS = tuple(ADDRESS_LABELS)


@transaction.atomic
def order_update_shipping_address(*, order: Order, by: User, address: dict[str, str]) -> Order:
    """Edit the shipping address until the order ships; later downloads leave the edit alone."""
    unknown = set(address) - set(ADDRESS_FIELDS)
    if unknown:
        raise OrderRuleError(f"Unknown address fields: {', '.join(sorted(unknown))}.")
    cleaned = {key: (address.get(key) or "").strip() for key in ADDRESS_FIELDS}
    if not (cleaned["line1"] and cleaned["postal_code"] and cleaned["city"] and cleaned["country_code"]):
        raise OrderRuleError("Address, postal code, city and country are required.")
    order = locked(order)
    check_action(order, Action.EDIT_ADDRESS)
    before = order.shipping_address
    order.shipping_address = cleaned
    order.shipping_address_edited_at = timezone.now()
    order.save(update_fields=["shipping_address", "shipping_address_edited_at", "updated_at"])
    address_edited_event(order=order, by=by, before=before, after=cleaned, labels=ADDRESS_LABELS)
    return order


REFERENCE_MAX = 100  # Refund.reference_number's max_length


@transaction.atomic
def refund_set_reference(*, refund: Refund, by: User, reference_number: str) -> Refund:
    """The Reference Number of a refund issued without one (the portal refund done since), once."""
    reference_number = reference_number.strip()
    if not reference_number:
        raise OrderRuleError("Enter the Reference Number of the refund made on the seller portal.")
    if len(reference_number) > REFERENCE_MAX:
        raise OrderRuleError("The Reference Number is at most 100 characters.")
    if not Refund.objects.filter(pk=refund.pk, reference_number="").update(reference_number=reference_number):
        raise OrderRuleError("This refund has a Reference Number already.")
    refund.reference_number = reference_number
    refund_reference_event(order=refund.order, by=by, refund=refund, reference_number=reference_number)
    return refund
