"""Payment Status, derived from the Payment and Refund rows by one function (SPEC S4).

The stored Order.payment_status is only a copy for filtering: `order_refresh_payment_status`
recomputes it whenever a payment or refund is written, and nothing else sets it.
"""

from collections.abc import Iterable
from decimal import Decimal

from .choices import PaymentState, PaymentStatus
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
