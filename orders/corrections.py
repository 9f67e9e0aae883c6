"""Corrections of orders written before a rule changed, run by data migrations (each idempotent).

They take the migration's `apps`, so they work on the models as they were at that migration;
the rules they apply are the pure functions the product uses (orders.totals, orders.payments).
"""

import uuid
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from .payments import payment_status_from
from .totals import line_amount, totals_of

# The channel's words at the time (migrations are history: a later rename must not change them).
CLOSED_LINE_STATUSES = ("Cancelled", "Refused", "Rejected")
CLOSED_ORDER_STATUSES = ("Cancelled", "Refused", "Rejected")
CHANNEL = "Cdiscount"
ZERO = Decimal("0.00")


def correct_cancelled_lines(apps: Any) -> int:
    """SPEC S5 for orders downloaded before it (issue 17): mark the lines Cdiscount closed as
    cancelled, take them out of the totals, and record the refund Cdiscount made for what its
    payment had counted. Returns how many orders changed; a second run changes none."""
    order_item = apps.get_model("orders", "OrderItem")
    order_model = apps.get_model("orders", "Order")
    order_item.objects.filter(channel_line_status__in=CLOSED_LINE_STATUSES, cancelled=False).update(cancelled=True)
    ids = set(order_item.objects.filter(cancelled=True).values_list("order_id", flat=True))
    ids |= set(
        order_model.objects.filter(channel_status__in=CLOSED_ORDER_STATUSES, payments__operation_type=CHANNEL)
        .values_list("pk", flat=True)
        .distinct()
    )
    changed = 0
    for order in order_model.objects.filter(pk__in=ids).select_related("company").order_by("pk").iterator():
        changed += _correct(apps, order)
    return changed


def _correct(apps: Any, order: Any) -> int:
    items = list(order.items.all())
    totals = totals_of(items)
    changed = False
    if (order.subtotal, order.shipping_total, order.grand_total) != (
        totals.subtotal,
        totals.shipping_total,
        totals.grand_total,
    ):
        order.subtotal, order.shipping_total, order.grand_total = (
            totals.subtotal,
            totals.shipping_total,
            totals.grand_total,
        )
        order.save(update_fields=["subtotal", "shipping_total", "grand_total"])
        changed = True
    payment = order.payments.filter(operation_type=CHANNEL).exclude(reference="").order_by("pk").first()
    if payment is not None:
        changed |= _refund(apps, order, payment, [i for i in items if i.cancelled])
    return int(changed)


def _refund(apps: Any, order: Any, payment: Any, cancelled: list[Any]) -> bool:
    """The refunds the download records now (orders.payments.channel_refund_record), for an
    order whose payment was recorded the old way: the payment's excess over the corrected grand
    total is what Cdiscount refunded for its cancelled lines; a whole cancelled order, the rest."""
    refund_model = apps.get_model("orders", "Refund")
    made = False
    refunded = sum((r.amount for r in refund_model.objects.filter(payment=payment)), ZERO)
    excess = payment.amount - refunded - order.grand_total
    for line in cancelled:
        amount = min(line_amount(line), excess)
        if amount <= 0 or refund_model.objects.filter(order=order, channel_key=line.channel_line_id).exists():
            continue
        _record(apps, order, payment, line.channel_line_id, amount, f"line {line.channel_line_id} ({line.sku})")
        excess -= amount
        refunded += amount
        made = True
    rest = payment.amount - refunded
    whole = order.channel_status in CLOSED_ORDER_STATUSES and rest > 0
    if whole and not refund_model.objects.filter(order=order, channel_key="order").exists():
        _record(apps, order, payment, "order", rest, f"order {order.channel_status}")
        made = True
    if made:
        status = payment_status_from(
            payments=order.payments.all(),
            refunds=refund_model.objects.filter(order=order),
            grand_total=order.grand_total,
        )
        order.payment_status = status
        order.save(update_fields=["payment_status"])
    return made


def _record(apps: Any, order: Any, payment: Any, key: str, amount: Decimal, what: str) -> None:
    refund_model = apps.get_model("orders", "Refund")
    event_model = apps.get_model("orders", "OrderEvent")
    when = order.channel_updated_at or timezone.now()
    refund = refund_model.objects.create(
        order=order,
        payment=payment,
        amount=amount,
        currency=payment.currency,
        refund_date=timezone.localtime(when, ZoneInfo(order.company.time_zone)).date(),
        notes=f"{what} cancelled on Cdiscount (recorded when older orders were corrected)",
        source=CHANNEL,
        channel_key=key,
        form_token=uuid.uuid4(),
    )
    event_model.objects.create(
        order=order,
        kind="refund",
        message=f"Refund of {amount:.2f} {payment.currency} by {CHANNEL}: {refund.notes}",
        source=CHANNEL,
        data={"amount": str(amount), "payment_id": payment.pk, "channel_key": key, "correction": True},
    )
