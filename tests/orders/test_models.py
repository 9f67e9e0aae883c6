"""The order model's guarantees: one order per marketplace order, Payment Status from rows,
and the transition table refusing what it must."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from orders.choices import OrderStatus, PaymentState, PaymentStatus, UploadStatus
from orders.models import Refund
from orders.payments import order_refresh_payment_status, refundable_amount
from orders.rules import Action, OrderRuleError, check_transition, why_not
from tests.factories import OrderFactory, PackageFactory, PaymentFactory

pytestmark = pytest.mark.django_db


def test_database_refuses_a_duplicate_channel_order():
    order = OrderFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        OrderFactory(
            company=order.company, channel_account=order.channel_account, channel_order_id=order.channel_order_id
        )


def test_same_channel_order_id_is_fine_on_another_account():
    order = OrderFactory()

    other = OrderFactory(channel_order_id=order.channel_order_id)

    assert other.channel_account_id != order.channel_account_id


def refund(order, payment, amount):
    return Refund.objects.create(
        order=order,
        payment=payment,
        amount=Decimal(amount),
        refund_date=timezone.localdate(),
        notes="client returned it",
        form_token=__import__("uuid").uuid4(),
    )


def test_payment_status_follows_payments_and_refunds():
    order = OrderFactory(grand_total=Decimal("123.79"))
    assert order_refresh_payment_status(order=order) == PaymentStatus.NO_PAYMENT

    partial = PaymentFactory(order=order, amount=Decimal("100.00"), reference="p1")
    assert order_refresh_payment_status(order=order) == PaymentStatus.PARTIAL_PAYMENT

    rest = PaymentFactory(order=order, amount=Decimal("23.79"), reference="p2")
    assert order_refresh_payment_status(order=order) == PaymentStatus.CHARGED

    refund(order, partial, "40.00")
    assert order_refresh_payment_status(order=order) == PaymentStatus.PARTIAL_REFUND
    assert refundable_amount(payment=partial) == Decimal("60.00")

    refund(order, partial, "60.00")
    refund(order, rest, "23.79")
    assert order_refresh_payment_status(order=order) == PaymentStatus.FULL_REFUND
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.FULL_REFUND


def test_authorized_and_failed_payments():
    order = OrderFactory()
    PaymentFactory(order=order, state=PaymentState.ERROR, reference="e")
    assert order_refresh_payment_status(order=order) == PaymentStatus.PAYMENT_ERROR
    PaymentFactory(order=order, state=PaymentState.AUTHORIZED, reference="a")
    assert order_refresh_payment_status(order=order) == PaymentStatus.AUTHORIZED


def test_the_channel_payment_cannot_be_added_twice():
    order = OrderFactory()
    PaymentFactory(order=order, reference="cdiscount:2611")

    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentFactory(order=order, reference="cdiscount:2611")


def test_transition_table_refuses_a_forbidden_change_with_its_reason():
    order = OrderFactory(status=OrderStatus.CANCELED)

    with pytest.raises(OrderRuleError, match="An order that is Canceled cannot become In Process"):
        check_transition(order, OrderStatus.IN_PROCESS)
    check_transition(order, OrderStatus.PROBLEM)  # the channel reports it shipped: a human looks


def test_cancel_after_ship_confirmed_says_why_and_what_instead():
    order = OrderFactory(status=OrderStatus.COMPLETED, ship_confirmed_at=timezone.now())

    reason = why_not(order, Action.CANCEL)

    assert reason.startswith("Ship Confirmed on ")
    assert "issue a refund or create an RMA" in reason


def test_ship_refusals():
    on_hold = OrderFactory(status=OrderStatus.ON_HOLD)
    assert "release the hold first" in why_not(on_hold, Action.SHIP)

    unpaid = OrderFactory()
    assert "not paid" in why_not(unpaid, Action.SHIP)

    paid = OrderFactory()
    PaymentFactory(order=paid)
    order_refresh_payment_status(order=paid)
    assert why_not(paid, Action.SHIP) is None
    PackageFactory(order=paid, upload_status=UploadStatus.PENDING)
    assert "one parcel per order" in why_not(paid, Action.SHIP)


def test_refund_needs_a_payment():
    order = OrderFactory()
    assert "No payment" in why_not(order, Action.REFUND)
    PaymentFactory(order=order)
    assert why_not(order, Action.REFUND) is None


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://example.test/6A", "data:text/html,x"])
def test_a_package_tracking_url_must_be_http_or_https(url):
    # The admin and any model form validate with the field: only http(s) passes (issue 13).
    package = PackageFactory.build(order=OrderFactory(), tracking_url=url)

    with pytest.raises(ValidationError) as caught:
        package.full_clean()

    assert "tracking_url" in caught.value.message_dict
