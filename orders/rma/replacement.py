"""Replacement orders (RMA resolutions Replace and Exchange): the goods sent again.

A replacement order is linked both ways to the original (Order.replacement_of, and the RMA item's
replacement_order): same customer and addresses, the same channel label but no channel account
(nothing of it goes to the marketplace, so its package upload is Not Required), the item again
(Exchange: the SKU the user typed), and a full discount on the line so its Grand Total is 0
(orders.totals, the one rule for totals). It ships without payment (orders.rules).
"""

from __future__ import annotations

from django.utils import timezone

from sellercloud.models import User

from ..choices import OrderStatus
from ..events import replacement_created_events
from ..models import RMA, Order, OrderItem, RMAItem
from ..totals import totals_of

# The Order fields a replacement copies from its original.
COPIED_FIELDS = (
    "company_id",
    "channel",
    "channel_order_id",
    "customer_reference",
    "customer_name",
    "customer_email",
    "customer_phone",
    "billing_address",
    "shipping_address",
    "delivery_mode",
    "currency",
)


def replacement_order_create(*, rma: RMA, item: RMAItem, by: User) -> Order:
    """The replacement order of one RMA item: its received quantity, sent again for nothing."""
    original = rma.order
    line = item.order_item
    sku = item.exchange_sku or line.sku
    same = sku == line.sku
    order = Order(
        **{name: getattr(original, name) for name in COPIED_FIELDS},
        channel_account=None,
        order_date=timezone.now(),
        status=OrderStatus.IN_PROCESS,
        replacement_of=original,
    )
    order.save()
    quantity = item.received_quantity
    new_line = OrderItem.objects.create(
        order=order,
        sku=sku,
        title=line.title if same else f"Exchange for {line.sku}: {line.title}",
        ean=line.ean if same else "",
        channel_product_id=line.channel_product_id if same else "",
        condition=line.condition if same else "",
        quantity=quantity,
        unit_price=line.unit_price,
        discount=line.unit_price * quantity,
    )
    totals = totals_of([new_line])
    order.subtotal, order.shipping_total, order.grand_total = totals.subtotal, totals.shipping_total, totals.grand_total
    order.save(update_fields=["subtotal", "shipping_total", "grand_total", "updated_at"])
    replacement_created_events(rma=rma, by=by, replacement=order, sku=sku, quantity=quantity)
    return order
