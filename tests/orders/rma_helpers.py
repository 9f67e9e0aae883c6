"""Shared data of the RMA tests: a Ship Confirmed Cdiscount order with two lines, and a snapshot of
everything a refused RMA action must leave untouched."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from orders.choices import OrderStatus, ShippingStatus
from orders.models import RMA, Order, OrderEvent, Refund, RMAItem
from orders.payments import order_refresh_payment_status
from orders.rma.services import Receipt, ReturnLine, rma_create, rma_receive
from tests.factories import OrderFactory, OrderItemFactory, PackageFactory, PaymentFactory


def shipped_order(**kwargs):
    """Lamp: 2 x 49.90 + 5.00 shipping; shade: 1 x 24.00 + 3.99 shipping; paid, shipped, Ship Confirmed."""
    fields = {
        "subtotal": Decimal("123.80"),
        "shipping_total": Decimal("8.99"),
        "grand_total": Decimal("132.79"),
        "status": OrderStatus.COMPLETED,
        "shipping_status": ShippingStatus.FULLY_SHIPPED,
        "ship_confirmed_at": timezone.now() - timedelta(hours=2),
    }
    order = OrderFactory(**{**fields, **kwargs})
    OrderItemFactory(order=order, sku="LAMP-1", quantity=2, unit_price=Decimal("49.90"), shipping=Decimal("5.00"))
    OrderItemFactory(order=order, sku="SHADE-1", quantity=1, unit_price=Decimal("24.00"), shipping=Decimal("3.99"))
    PaymentFactory(order=order, amount=Decimal("132.79"), reference="cdiscount")
    PackageFactory(order=order)
    order_refresh_payment_status(order=order)
    return order


def item(order, sku):
    return order.items.get(sku=sku)


def create(order, user, *lines, reason_for_all="Damaged", **kwargs):
    """An RMA of `lines`: (sku, quantity) or (sku, quantity, reason)."""
    returns = [ReturnLine(item(order, line[0]).pk, line[1], line[2] if len(line) > 2 else "") for line in lines]
    return rma_create(order=order, by=user, lines=returns, reason_for_all=reason_for_all, **kwargs)


def receive(rma, user, sku, quantity, condition="sellable"):
    rma_item = rma.items.get(order_item__sku=sku)
    return rma_receive(rma=rma, by=user, receipts=[Receipt(rma_item.pk, quantity, condition)])


def snapshot():
    """Every row an RMA action could touch, as plain values."""
    return (
        list(RMA.objects.order_by("pk").values_list("number", "status", "status_before_hold", "received_status")),
        list(
            RMAItem.objects.order_by("pk").values_list(
                "quantity", "received_quantity", "condition", "resolution", "comment", "replacement_order_id"
            )
        ),
        list(Order.objects.order_by("pk").values_list("pk", "status", "payment_status", "grand_total")),
        Refund.objects.count(),
        OrderEvent.objects.count(),
    )
