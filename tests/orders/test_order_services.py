"""Order services: each rule of SPEC S8, each bad input refused with a message and no change."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.choices import EventKind, HoldSource, OrderStatus, PaymentStatus, ShippingStatus, UploadStatus
from orders.holds import order_hold, order_release_hold
from orders.models import Order, OrderEvent, Package, Refund
from orders.payments import order_refresh_payment_status
from orders.services import (
    OrderRuleError,
    order_add_note,
    order_cancel_internally,
    order_resolve_problem,
    order_ship,
    order_update_shipping_address,
    refund_issue,
)
from tests.factories import OrderFactory, PackageFactory, PaymentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def paid_order():
    order = OrderFactory(grand_total=Decimal("123.79"))
    PaymentFactory(order=order, amount=Decimal("123.79"), reference="cdiscount")
    order_refresh_payment_status(order=order)
    return order


def snapshot(order):
    """What a refused action must leave untouched."""
    order = Order.objects.get(pk=order.pk)
    return (
        order.status,
        order.payment_status,
        order.shipping_status,
        Refund.objects.filter(order=order).count(),
        Package.objects.filter(order=order).count(),
        OrderEvent.objects.filter(order=order).count(),
    )


def refund(order, user, amount="10.00", **kwargs):
    params = {
        "order": order,
        "by": user,
        "amount": Decimal(amount),
        "refund_date": timezone.localdate(),
        "notes": "Colis abîmé",
        "form_token": uuid.uuid4(),
    }
    params.update(kwargs)
    params.setdefault("payment", order.payments.first())
    return refund_issue(**params)


# Refunds -------------------------------------------------------------------------------------


def test_partial_then_full_refund_moves_payment_status(paid_order, user):
    refund(paid_order, user, "23.79")
    paid_order.refresh_from_db()
    assert paid_order.payment_status == PaymentStatus.PARTIAL_REFUND
    assert paid_order.status == OrderStatus.IN_PROCESS  # Order Status does not change

    refund(paid_order, user, "100.00")
    paid_order.refresh_from_db()
    assert paid_order.payment_status == PaymentStatus.FULL_REFUND
    assert paid_order.events.filter(kind=EventKind.REFUND).count() == 2
    assert "Cdiscount seller portal" in paid_order.events.filter(kind=EventKind.REFUND).first().message


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("123.80", "more than what is still refundable"),
        ("0", "more than 0"),
        ("-5", "more than 0"),
        ("1.005", r"must be an amount such as 12\.50 \(at most 10 digits before the decimal point and 2 after\)"),
        ("NaN", "must be a number"),
    ],
)
def test_refund_refuses_bad_amounts_and_changes_nothing(paid_order, user, amount, message):
    before = snapshot(paid_order)

    with pytest.raises(OrderRuleError, match=message):
        refund(paid_order, user, amount)

    assert snapshot(paid_order) == before


def test_refund_refuses_bad_dates_and_missing_notes(paid_order, user):
    before = snapshot(paid_order)

    with pytest.raises(OrderRuleError, match="cannot be in the future"):
        refund(paid_order, user, refund_date=timezone.localdate() + timedelta(days=2))
    with pytest.raises(OrderRuleError, match="before the order date"):
        refund(paid_order, user, refund_date=paid_order.order_date.date() - timedelta(days=3))
    with pytest.raises(OrderRuleError, match="Notes are required"):
        refund(paid_order, user, notes="   ")
    with pytest.raises(OrderRuleError, match="Refund Method"):
        refund(paid_order, user, refund_method="cash-in-envelope")

    assert snapshot(paid_order) == before


def test_refund_on_an_order_without_payment_is_refused(user):
    order = OrderFactory()
    other = OrderFactory()
    payment = PaymentFactory(order=other)

    with pytest.raises(OrderRuleError, match="No payment"):
        refund(order, user, payment=payment)
    assert not Refund.objects.exists()


def test_same_form_posted_twice_makes_one_refund_but_two_genuine_refunds_both_go(paid_order, user):
    token = uuid.uuid4()

    first = refund(paid_order, user, "10.00", form_token=token)
    again = refund(paid_order, user, "10.00", form_token=token)
    other = refund(paid_order, user, "10.00")

    assert first.pk == again.pk
    assert other.pk != first.pk
    assert paid_order.refunds.count() == 2


def test_a_canceled_order_can_still_be_refunded(paid_order, user):
    order_cancel_internally(order=paid_order, by=user, reason="Rupture de stock")

    refund(paid_order, user, "123.79")

    paid_order.refresh_from_db()
    assert paid_order.payment_status == PaymentStatus.FULL_REFUND


# Cancel --------------------------------------------------------------------------------------


def test_cancel_withdraws_a_pending_package_and_reminds_the_portal(paid_order, user):
    PackageFactory(order=paid_order, upload_status=UploadStatus.PENDING)

    order_cancel_internally(order=paid_order, by=user, reason="Client a changé d'avis")

    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.CANCELED
    assert paid_order.packages.get().upload_status == UploadStatus.WITHDRAWN
    event = paid_order.events.get(kind=EventKind.CANCEL)
    assert "Cdiscount seller portal" in event.message
    assert event.user == user


def test_cancel_after_ship_confirmed_or_twice_is_refused(paid_order, user):
    confirmed = OrderFactory(status=OrderStatus.COMPLETED, ship_confirmed_at=timezone.now())
    before = snapshot(confirmed)
    with pytest.raises(OrderRuleError, match="Ship Confirmed on .*issue a refund or create an RMA"):
        order_cancel_internally(order=confirmed, by=user, reason="trop tard")
    assert snapshot(confirmed) == before

    order_cancel_internally(order=paid_order, by=user, reason="doublon")
    before = snapshot(paid_order)
    with pytest.raises(OrderRuleError, match="already Canceled"):
        order_cancel_internally(order=paid_order, by=user, reason="doublon")
    with pytest.raises(OrderRuleError, match="reason"):
        order_cancel_internally(order=OrderFactory(), by=user, reason=" ")
    assert snapshot(paid_order) == before


# Ship ----------------------------------------------------------------------------------------


def ship(order, user, **kwargs):
    params = {
        "order": order,
        "by": user,
        "carrier": "Colissimo",
        "tracking_number": "6A12345678901",
        "tracking_url": "https://www.laposte.fr/outils/suivre-vos-envois?code=6A12345678901",
        "ship_date": timezone.localdate(),
        "shipping_cost": Decimal("6.50"),
    }
    params.update(kwargs)
    return order_ship(**params)


def test_ship_completes_the_order_and_waits_for_upload_when_upload_is_on(paid_order, user):
    paid_order.channel_account.upload_enabled = True
    paid_order.channel_account.save()

    package = ship(paid_order, user)

    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.COMPLETED
    assert paid_order.shipping_status == ShippingStatus.FULLY_SHIPPED
    assert paid_order.ship_confirmed_at is None  # only the marketplace confirms
    assert package.upload_status == UploadStatus.PENDING
    assert paid_order.events.filter(kind=EventKind.SHIPMENT).exists()


def test_ship_with_upload_off_is_not_required(paid_order, user):
    assert ship(paid_order, user).upload_status == UploadStatus.NOT_REQUIRED


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tracking_number": "6A 123"}, "only letters A-Z, digits 0-9 and hyphens"),
        ({"tracking_number": "6A&123"}, "only letters A-Z, digits 0-9 and hyphens"),
        ({"tracking_number": "6A\x00123"}, "only letters A-Z, digits 0-9 and hyphens"),
        ({"tracking_number": "6A\n123"}, "only letters A-Z, digits 0-9 and hyphens"),
        ({"tracking_number": "6A\u202e123"}, "only letters A-Z, digits 0-9 and hyphens"),
        ({"tracking_number": "ſ6A123"}, "only letters A-Z, digits 0-9 and hyphens"),  # [a-z] under IGNORECASE takes ſ
        ({"tracking_url": "http://x y"}, "http or https"),
        ({"tracking_url": "https://example.test/\u200b"}, "http or https"),
        ({"tracking_number": "X" * 51}, "at most 50"),
        ({"tracking_number": ""}, "required"),
        ({"tracking_url": "ftp://example.test/x"}, "http or https"),
        ({"tracking_url": "javascript:alert(1)"}, "http or https"),
        ({"carrier": " "}, "Carrier is required"),
        ({"shipping_cost": Decimal("-1")}, "negative"),
    ],
)
def test_ship_refuses_bad_tracking_and_changes_nothing(paid_order, user, kwargs, message):
    before = snapshot(paid_order)

    with pytest.raises(OrderRuleError, match=message):
        ship(paid_order, user, **kwargs)

    assert snapshot(paid_order) == before


COLUMN_MESSAGE = "must be an amount such as 12.50 (at most 10 digits before the decimal point and 2 after)."


@pytest.mark.parametrize(
    "cost", [Decimal("99999999999"), Decimal("1E+30"), Decimal("12.345"), Decimal("NaN"), Decimal("Infinity"), 12.5]
)
def test_ship_refuses_a_shipping_cost_its_column_cannot_hold(paid_order, user, cost):
    # a caller other than the form (the import, a bulk action) gets the same refusal
    before = snapshot(paid_order)

    with pytest.raises(OrderRuleError) as refused:
        ship(paid_order, user, shipping_cost=cost)

    assert str(refused.value) == f"Shipping cost {COLUMN_MESSAGE}"
    assert snapshot(paid_order) == before


def test_ship_takes_the_largest_shipping_cost_its_column_holds(paid_order, user):
    package = ship(paid_order, user, shipping_cost=Decimal("9999999999.99"))

    package.refresh_from_db()
    assert package.shipping_cost == Decimal("9999999999.99")


@pytest.mark.parametrize("amount", [Decimal("99999999999"), Decimal("1E+30"), Decimal("12.345"), Decimal("0.001")])
def test_refund_refuses_an_amount_its_column_cannot_hold(paid_order, user, amount):
    before = snapshot(paid_order)

    with pytest.raises(OrderRuleError) as refused:
        refund(paid_order, user, amount)

    assert str(refused.value) == f"Amount To Refund {COLUMN_MESSAGE}"
    assert snapshot(paid_order) == before


def test_ship_refuses_canceled_on_hold_unpaid_and_second_package(paid_order, user):
    canceled = OrderFactory(status=OrderStatus.CANCELED)
    with pytest.raises(OrderRuleError, match="Canceled"):
        ship(canceled, user)

    held = OrderFactory()
    PaymentFactory(order=held)
    order_refresh_payment_status(order=held)
    order_hold(order=held, by=user, reason="adresse à vérifier")
    with pytest.raises(OrderRuleError, match="release the hold first"):
        ship(held, user)

    with pytest.raises(OrderRuleError, match="not paid"):
        ship(OrderFactory(), user)

    ship(paid_order, user)
    paid_order.status = OrderStatus.IN_PROCESS  # even if someone reopened it
    paid_order.save()
    with pytest.raises(OrderRuleError, match="one parcel per order"):
        ship(paid_order, user, tracking_number="6A999")
    assert paid_order.packages.count() == 1


# Holds ---------------------------------------------------------------------------------------


def test_hold_then_release_restores_the_status_before_the_hold(user):
    order = OrderFactory(status=OrderStatus.PROBLEM)

    assert order_hold(order=order, by=user, reason="vérifier le stock")
    assert not order_hold(order=order, by=user, reason="encore")  # twice does not overwrite

    order.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD
    assert order.status_before_hold == OrderStatus.PROBLEM
    assert order_release_hold(order=order, by=user)
    order.refresh_from_db()
    assert order.status == OrderStatus.PROBLEM
    assert list(order.events.values_list("kind", flat=True)) == [EventKind.RELEASE, EventKind.HOLD]


def test_release_of_a_channel_hold_remembers_the_request(user):
    order = OrderFactory()
    order_hold(
        order=order,
        reason="customer cancellation request",
        source=HoldSource.CHANNEL,
        channel_request="L1,L2",
    )

    order_release_hold(order=order, by=user)

    order.refresh_from_db()
    assert order.released_channel_request == "L1,L2"
    assert order.hold_channel_request == ""


def test_hold_needs_a_reason_and_an_open_order(user):
    with pytest.raises(OrderRuleError, match="reason"):
        order_hold(order=OrderFactory(), by=user, reason="")
    with pytest.raises(OrderRuleError, match="nothing left to hold"):
        order_hold(order=OrderFactory(status=OrderStatus.CANCELED), by=user, reason="x")


# Notes, problems, addresses ------------------------------------------------------------------


def test_note_problem_and_address(user):
    order = OrderFactory(status=OrderStatus.PROBLEM)

    order_add_note(order=order, by=user, text="Appelé le client")
    order_resolve_problem(order=order, by=user, note="Adresse corrigée")
    order_update_shipping_address(
        order=order,
        by=user,
        address={
            "first_name": "Hélène",
            "line1": "3 rue de la Paix",
            "postal_code": "75002",
            "city": "Paris",
            "country_code": "FR",
        },
    )

    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROCESS
    assert order.shipping_address["city"] == "Paris"
    assert order.shipping_address_edited_at is not None
    with pytest.raises(OrderRuleError, match="not a Problem Order"):
        order_resolve_problem(order=order, by=user, note="encore")
    with pytest.raises(OrderRuleError, match="Write the note"):
        order_add_note(order=order, by=user, text="")


def test_address_cannot_change_once_shipped(paid_order, user):
    ship(paid_order, user)

    with pytest.raises(OrderRuleError, match="has shipped"):
        order_update_shipping_address(
            order=paid_order,
            by=user,
            address={"line1": "x", "postal_code": "1", "city": "y", "country_code": "FR"},
        )
