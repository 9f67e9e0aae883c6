"""Statuses that never contradict each other (issue 24, point 14): Resolve Problem gives Completed
on a Fully Shipped order and In Process otherwise; a cancel that leaves only Withdrawn packages
makes the order Unshipped. Every combination the actions can produce."""

import pytest

from orders.choices import OrderStatus, ShippingStatus, UploadStatus
from orders.models import Order
from orders.services import order_cancel_internally, order_resolve_problem
from tests.factories import OrderFactory, PackageFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("shipping", "resolved"),
    [
        (ShippingStatus.FULLY_SHIPPED, OrderStatus.COMPLETED),
        (ShippingStatus.UNSHIPPED, OrderStatus.IN_PROCESS),
    ],
)
def test_resolve_problem_gives_the_status_the_shipping_says(shipping, resolved):
    order = OrderFactory(status=OrderStatus.PROBLEM, shipping_status=shipping)

    order_resolve_problem(order=order, by=UserFactory(), note="Client rappelé")

    order.refresh_from_db()
    assert (order.status, order.shipping_status) == (resolved, shipping)


@pytest.mark.parametrize(
    ("packages", "shipping_after"),
    [
        ([UploadStatus.PENDING], ShippingStatus.UNSHIPPED),  # its only package withdrawn
        ([UploadStatus.PENDING, UploadStatus.PENDING], ShippingStatus.UNSHIPPED),
        ([UploadStatus.NOT_REQUIRED], ShippingStatus.FULLY_SHIPPED),  # a package that left stays
        ([UploadStatus.PENDING, UploadStatus.NOT_REQUIRED], ShippingStatus.FULLY_SHIPPED),
        ([UploadStatus.FAILED], ShippingStatus.FULLY_SHIPPED),  # not waiting: not withdrawn
    ],
)
def test_a_cancel_that_withdraws_every_package_leaves_the_order_unshipped(packages, shipping_after):
    order = OrderFactory(status=OrderStatus.COMPLETED, shipping_status=ShippingStatus.FULLY_SHIPPED)
    for status in packages:
        PackageFactory(order=order, upload_status=status)

    order_cancel_internally(order=order, by=UserFactory(), reason="Rupture de stock")

    order = Order.objects.get(pk=order.pk)
    assert (order.status, order.shipping_status) == (OrderStatus.CANCELED, shipping_after)


def test_a_cancel_without_packages_keeps_unshipped():
    order = OrderFactory(status=OrderStatus.IN_PROCESS, shipping_status=ShippingStatus.UNSHIPPED)

    order_cancel_internally(order=order, by=UserFactory(), reason="Doublon")

    order.refresh_from_db()
    assert (order.status, order.shipping_status) == (OrderStatus.CANCELED, ShippingStatus.UNSHIPPED)
