"""Payment Status, derived from the Payment and Refund rows by one function (SPEC S4).

The stored Order.payment_status is only a copy for filtering: `order_refresh_payment_status`
recomputes it whenever a payment or refund is written, and nothing else sets it.
"""

import uuid
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import hooks
from .choices import PaymentState, PaymentStatus
from .events import channel_refund_event
from .models import ZERO, Order, Payment, Refund


def payment_status_from(
    *, payments: Iterable[Payment], refunds: Iterable[Refund], grand_total: Decimal
) -> PaymentStatus:
    """The Payment Status these rows add up to.

    Refunds win over payments (an order refunded in full reads Full Refund); then charged money
    against the grand total; then authorizations; errors only when nothing else is there.
    """
    payments = list(payments)
    charged = sum((p.amount for p in payments if p.state == PaymentState.CHARGED), ZERO)
    authorized = sum((p.amount for p in payments if p.state == PaymentState.AUTHORIZED), ZERO)
    refunded = sum((r.amount for r in refunds), ZERO)

    if charged > 0 and refunded >= charged:
        return PaymentStatus.FULL_REFUND
    if refunded > 0:
        return PaymentStatus.PARTIAL_REFUND
    if charged > 0:
        return PaymentStatus.CHARGED if charged >= grand_total else PaymentStatus.PARTIAL_PAYMENT
    if authorized > 0:
        return PaymentStatus.AUTHORIZED
    if any(p.state == PaymentState.ERROR for p in payments):
        return PaymentStatus.PAYMENT_ERROR
    return PaymentStatus.NO_PAYMENT


def order_refresh_payment_status(*, order: Order) -> PaymentStatus:
    """Recompute and store the order's Payment Status from its rows; returns it."""
    status = payment_status_from(
        payments=Payment.objects.filter(order=order),
        refunds=Refund.objects.filter(order=order),
        grand_total=order.grand_total,
    )
    if order.payment_status != status:
        order.payment_status = status
        order.save(update_fields=["payment_status", "updated_at"])
    return status


def refundable_amount(*, payment: Payment) -> Decimal:
    """What is still refundable on one payment (its amount less the refunds against it)."""
    if payment.state != PaymentState.CHARGED:
        return ZERO
    refunded = sum((r.amount for r in payment.refunds.all()), ZERO)
    return max(payment.amount - refunded, ZERO)


def channel_refund_record(
    *, order: Order, payment: Payment, key: str, amount: Decimal, notes: str, when: datetime
) -> Refund | None:
    """A refund made by the channel (SPEC S5): what it cancelled after the payment was recorded.

    Recorded once per `key` (a channel line id, or "order"), however many downloads see it, and
    never for more than is still refundable on `payment`; None when there is nothing to record.
    Payment Status follows, and the order's refund hook runs (a credit note, once invoices exist).
    """
    if Refund.objects.filter(order=order, channel_key=key).exists():
        return None
    amount = min(amount, refundable_amount(payment=payment))
    if amount <= 0:
        return None
    source = payment.operation_type
    try:
        with transaction.atomic():
            refund = Refund.objects.create(
                order=order,
                payment=payment,
                amount=amount,
                currency=payment.currency,
                refund_date=timezone.localdate(when, ZoneInfo(order.company.time_zone)),
                notes=notes,
                source=source,
                channel_key=key,
                form_token=uuid.uuid4(),
            )
    except IntegrityError:
        return None  # recorded by a concurrent download
    status = order_refresh_payment_status(order=order)
    channel_refund_event(order=order, refund=refund, source=source, payment_status=status)
    hooks.order_refunded(order_id=order.pk, refund_id=refund.pk)
    return refund
