"""The upsert of SPEC S5 on recorded payload shapes: statuses, money, who wins."""

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from channels.cdiscount.parsing import parse_order
from channels.download.upsert import UpsertOutcome, order_upsert_from_cdiscount
from orders.choices import EventKind, OrderStatus, PaymentStatus, ShippingStatus, UploadStatus
from orders.holds import order_hold, order_release_hold
from orders.models import ChannelPayload, Order, Payment
from orders.services import order_cancel_internally, order_ship
from tests.factories import CdiscountAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

RECORDED = json.loads((Path(__file__).parents[1] / "fixtures/cdiscount/connector_order.json").read_text())


def payload(status="InPreparation", *, line_status=None, updated="2026-09-02T09:20:00+00:00", **changes):
    raw = copy.deepcopy(RECORDED)
    raw["status"] = status
    raw["updatedAt"] = updated
    raw["lines"][0]["status"] = line_status or ("InPreparation" if status in ("Shipped", "Delivered") else status)
    if status not in ("Shipped", "Delivered"):
        raw["lines"][0]["parcels"] = []
    if status in ("Processing", "WaitingAcceptance", "Accepted"):
        raw["lines"][0].pop("shippingAddress")  # exists from InPreparation only
    raw.update(changes)
    return raw


def upsert(account, raw):
    return order_upsert_from_cdiscount(account=account, cd_order=parse_order(raw), raw=raw)


@pytest.fixture
def account():
    return CdiscountAccountFactory(allow_unpaid_orders=False)


def test_in_preparation_order_is_created_with_items_addresses_totals_and_one_payment(account):
    result = upsert(account, payload())

    assert result.outcome == UpsertOutcome.CREATED
    order = Order.objects.get(pk=result.order_id)
    assert order.channel_order_id == "2101011234THLDJ"
    assert order.status == OrderStatus.IN_PROCESS
    assert order.payment_status == PaymentStatus.CHARGED
    assert order.shipping_status == ShippingStatus.UNSHIPPED
    assert order.grand_total == Decimal("205.00")
    assert order.subtotal == Decimal("200.00")
    assert order.shipping_total == Decimal("5.00")
    assert order.commission_with_vat == Decimal("12.00")
    assert order.commission_without_vat == Decimal("10.00")
    assert order.customer_name == "Camille Durand"
    assert order.customer_reference == "CUST-123"
    assert order.customer_email == ""  # Cdiscount gives none
    assert order.shipping_address["city"] == "Lyon"
    assert order.billing_address["line2"] == "Bât. B"
    item = order.items.get()
    assert (item.sku, item.ean, item.quantity, item.unit_price) == ("ORD-CD-1", "3760000000000", 2, Decimal("100.00"))
    payment = order.payments.get()
    assert (payment.operation_type, payment.amount) == ("Cdiscount", Decimal("205.00"))
    assert ChannelPayload.objects.filter(order=order).count() == 1
    assert order.events.filter(kind=EventKind.CREATED).exists()


def test_same_payload_again_changes_nothing(account):
    upsert(account, payload())
    events = Order.objects.get().events.count()

    again = upsert(account, payload())
    reordered = upsert(account, json.loads(json.dumps(payload(), sort_keys=True)))

    assert again.outcome == reordered.outcome == UpsertOutcome.UNCHANGED
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1
    assert ChannelPayload.objects.count() == 1
    assert Order.objects.get().events.count() == events


def test_unpaid_orders_need_allow_unpaid_and_get_their_payment_once_later(account):
    assert upsert(account, payload("WaitingAcceptance")).outcome == UpsertOutcome.SKIPPED
    assert not Order.objects.exists()

    account.allow_unpaid_orders = True
    created = upsert(account, payload("WaitingAcceptance"))
    order = Order.objects.get(pk=created.order_id)
    assert order.payment_status == PaymentStatus.NO_PAYMENT
    assert order.shipping_address == {}

    # when it later becomes InPreparation (a new updatedAt), twice
    upsert(account, payload(updated="2026-09-03T10:00:00+00:00"))
    upsert(account, payload(updated="2026-09-03T11:00:00+00:00"))

    order.refresh_from_db()
    assert order.payments.count() == 1
    assert order.payment_status == PaymentStatus.CHARGED
    assert order.channel_status == "InPreparation"
    assert order.shipping_address["city"] == "Lyon"  # the address arrived with InPreparation
    assert order.events.filter(message="Cdiscount: status WaitingAcceptance -> InPreparation").exists()


def test_cancelled_before_we_ever_saw_it_is_skipped(account):
    assert upsert(account, payload("Cancelled")).outcome == UpsertOutcome.SKIPPED
    assert not Order.objects.exists()


def test_customer_cancellation_cancels_unless_we_shipped_it(account):
    upsert(account, payload())
    upsert(account, payload("Cancelled", updated="2026-09-03T10:00:00+00:00"))
    assert Order.objects.get().status == OrderStatus.CANCELED

    other = CdiscountAccountFactory()
    shipped = Order.objects.get(pk=upsert(other, payload()).order_id)
    order_ship(
        order=shipped, by=UserFactory(), carrier="Colissimo", tracking_number="6A1", ship_date=timezone.localdate()
    )
    upsert(other, payload("Cancelled", updated="2026-09-03T10:00:00+00:00"))
    shipped.refresh_from_db()
    assert shipped.status == OrderStatus.PROBLEM
    assert "we shipped it" in shipped.events.filter(kind=EventKind.STATUS).first().message


def test_an_order_we_cancelled_stays_cancelled_and_becomes_problem_if_reported_shipped(account):
    order = Order.objects.get(pk=upsert(account, payload()).order_id)
    order_cancel_internally(order=order, by=UserFactory(), reason="Rupture de stock")

    upsert(account, payload("Cancelled", updated="2026-09-03T10:00:00+00:00"))
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELED

    upsert(account, payload("Shipped", updated="2026-09-04T10:00:00+00:00"))
    order.refresh_from_db()
    assert order.status == OrderStatus.PROBLEM
    assert order.ship_confirmed_at is not None


def test_first_seen_shipped_is_created_completed_with_a_package_from_the_parcel(account):
    order = Order.objects.get(pk=upsert(account, payload("Shipped")).order_id)

    assert order.status == OrderStatus.COMPLETED
    assert order.shipping_status == ShippingStatus.FULLY_SHIPPED
    assert order.ship_confirmed_at is not None
    assert order.payment_status == PaymentStatus.CHARGED
    package = order.packages.get()
    assert (package.tracking_number, package.carrier, package.upload_status) == (
        "34GFRTG43",
        "Chronopost",
        UploadStatus.UPLOADED,
    )


# What no user may type (orders.services.validate_tracking) but a marketplace may send.
ODD_PARCEL = "<b>6A</b>\u202e\u200b\x1b[31m=1+1 \U0001f4e6\x7f"


def test_a_parcel_number_no_user_may_type_is_kept_as_the_marketplace_sent_it_and_shown_as_text(account, client):
    # given a Shipped order whose parcel number fails the rule for typed tracking numbers
    raw = payload("Shipped")
    raw["lines"][0]["parcels"][0]["parcelNumber"] = ODD_PARCEL

    # when it is downloaded
    order = Order.objects.get(pk=upsert(account, raw).order_id)

    # then the package records what Cdiscount says, as it came
    assert order.packages.get().tracking_number == ODD_PARCEL
    # and Order Details shows it as text
    client.force_login(UserFactory(is_client_admin=True))
    page = client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert "&lt;b&gt;6A&lt;/b&gt;" in page and "=1+1" in page
    assert "<b>6A</b>" not in page


def test_cancel_request_holds_once_and_not_again_after_a_user_released_it(account):
    order = Order.objects.get(pk=upsert(account, payload()).order_id)

    upsert(account, payload(line_status="CancelRequest", updated="2026-09-03T10:00:00+00:00"))
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD
    assert order.hold_reason == "customer cancellation request"
    assert order.hold_channel_request == "EO7E"

    order_release_hold(order=order, by=UserFactory())
    upsert(account, payload(line_status="CancelRequest", updated="2026-09-03T11:00:00+00:00"))
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROCESS


def test_a_user_hold_is_never_released_by_a_download(account):

    order = Order.objects.get(pk=upsert(account, payload(line_status="CancelRequest")).order_id)
    order_release_hold(order=order, by=UserFactory())
    order_hold(order=order, by=UserFactory(), reason="adresse douteuse")

    upsert(account, payload(updated="2026-09-03T10:00:00+00:00"))  # the request is gone

    order.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD
    assert order.hold_reason == "adresse douteuse"


def test_shipped_beats_cancel_request(account):
    order = Order.objects.get(pk=upsert(account, payload(line_status="CancelRequest")).order_id)
    assert order.status == OrderStatus.ON_HOLD

    upsert(account, payload("Shipped", line_status="CancelRequest", updated="2026-09-04T10:00:00+00:00"))

    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert order.ship_confirmed_at is not None


def test_a_later_address_does_not_overwrite_a_user_edit(account):
    from orders.services import order_update_shipping_address

    order = Order.objects.get(pk=upsert(account, payload()).order_id)
    order_update_shipping_address(
        order=order,
        by=UserFactory(),
        address={"line1": "5 place Bellecour", "postal_code": "69002", "city": "Lyon", "country_code": "FR"},
    )
    moved = payload(updated="2026-09-03T10:00:00+00:00")
    moved["lines"][0]["shippingAddress"]["addressLine1"] = "99 avenue Ailleurs"

    upsert(account, moved)

    order.refresh_from_db()
    assert order.shipping_address["line1"] == "5 place Bellecour"
    assert ChannelPayload.objects.filter(order=order).count() == 2
