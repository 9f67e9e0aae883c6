"""Profit & Loss against figures worked out by hand."""

import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.choices import UploadStatus
from orders.profit import order_profit_and_loss
from orders.services import refund_issue
from tests.factories import OrderFactory, PackageFactory, PaymentFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_profit_and_loss_with_vat_commission_partial_refund_and_shipped_package():
    # given an order of 123.79 incl. VAT at 20%, commission 12.38 incl. / 10.32 excl.
    order = OrderFactory(
        grand_total=Decimal("123.79"),
        commission_with_vat=Decimal("12.38"),
        commission_without_vat=Decimal("10.32"),
    )
    payment = PaymentFactory(order=order, amount=Decimal("123.79"), reference="cd")
    refund_issue(
        order=order,
        by=UserFactory(),
        payment=payment,
        amount=Decimal("30.00"),
        refund_date=timezone.localdate(),
        notes="geste commercial",
        form_token=uuid.uuid4(),
    )
    PackageFactory(order=order, shipping_cost=Decimal("6.90"))
    PackageFactory(order=order, shipping_cost=Decimal("99.00"), upload_status=UploadStatus.WITHDRAWN)

    # when
    pl = order_profit_and_loss(order=order)

    # then: 123.79 / 1.2 = 103.158 -> 103.16; 30.00 / 1.2 = 25.00; 103.16 - 25.00 - 10.32 - 6.90
    assert pl.revenue.excl_vat == Decimal("103.16")
    assert pl.revenue.incl_vat == Decimal("123.79")
    assert pl.refunds.excl_vat == Decimal("25.00")
    assert pl.refunds.incl_vat == Decimal("30.00")
    assert pl.commission.excl_vat == Decimal("10.32")
    assert pl.shipping_cost.excl_vat == Decimal("6.90")  # the withdrawn package does not count
    assert pl.profit == Decimal("60.94")


def test_profit_before_shipping_has_no_shipping_cost():
    order = OrderFactory(grand_total=Decimal("123.79"), commission_without_vat=Decimal("10.32"))

    pl = order_profit_and_loss(order=order)

    assert pl.shipping_cost.excl_vat == Decimal("0")
    assert pl.profit == Decimal("92.84")  # the wireframe's figures
