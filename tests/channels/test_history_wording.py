"""History and Packages say what happened in the product's words (issue 24, point 9): the kind
of a line fits it, a marketplace parcel is not "Uploaded, 0 attempts", amounts have their cents,
and an address edit says what changed."""

import copy

import pytest
from django.urls import reverse

from orders.choices import EventKind
from orders.models import Order
from orders.services import order_update_shipping_address
from tests.channels.test_cancelled_lines import RECORDED, upsert
from tests.factories import CdiscountAccountFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def shipped(price=100.0):
    raw = copy.deepcopy(RECORDED)
    raw["status"] = "Delivered"
    raw["lines"][0]["sellingPrice"].update(unitSalesPrice=price, shippingCost=0.0)
    raw["lines"][0]["quantity"] = 1
    return raw


@pytest.fixture
def account():
    return CdiscountAccountFactory(allow_unpaid_orders=False)


def test_a_delivered_order_is_a_channel_update_not_a_tracking_upload(account):
    order = upsert(account, shipped())

    line = order.events.get(message__startswith="Cdiscount reports the order Delivered")
    assert line.kind == EventKind.CHANNEL
    assert not order.events.filter(kind=EventKind.UPLOAD).exists()


def test_amounts_in_the_history_have_their_cents(account):
    order = upsert(account, shipped(price=164.3))

    assert order.events.get(kind=EventKind.PAYMENT).message == "Cdiscount payment of 164.30 EUR recorded"


def test_a_package_made_from_the_marketplace_parcel_says_so(client, account):
    order = upsert(account, shipped())
    user = UserFactory()
    MembershipFactory(user=user, company=order.company, can_view_orders=True)
    client.force_login(user)

    package = order.packages.get()
    page = client.get(reverse("orders:detail", args=[order.pk])).content.decode()

    assert package.source == "Cdiscount"
    assert "Cdiscount's own parcel: not uploaded by us" in page
    assert "0 attempts" not in page


def test_an_address_edit_says_what_changed_from_what(account):
    order = upsert(account, copy.deepcopy(RECORDED))
    user = UserFactory()
    new = {**order.shipping_address, "city": "Villeurbanne", "postal_code": "69100"}

    order_update_shipping_address(order=Order.objects.get(pk=order.pk), by=user, address=new)

    line = order.events.get(kind=EventKind.ADDRESS)
    assert line.message == "Shipping address edited: Postal code “69003” → “69100”; City “Lyon” → “Villeurbanne”"
    assert line.data["before"]["city"] == "Lyon" and line.data["after"]["city"] == "Villeurbanne"
