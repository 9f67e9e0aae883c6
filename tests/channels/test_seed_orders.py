"""`seed_orders`: many realistic orders quickly (the data of `make bench`)."""

from io import StringIO

import pytest
from django.core.management import call_command

from orders.choices import Channel
from orders.models import Order, OrderItem, Package
from sellercloud.models import Company

pytestmark = pytest.mark.django_db


def seed(count: int, **options) -> str:
    out = StringIO()
    call_command("seed_orders", count=count, stdout=out, **options)
    return out.getvalue()


def test_it_creates_realistic_orders_in_the_company():
    output = seed(400, company="bench")

    company = Company.objects.get(code="bench")
    orders = Order.objects.filter(company=company)
    assert orders.count() == 400
    assert "Created 400 orders" in output
    by_channel = {c: orders.filter(channel=c).count() for c in Channel.values}
    assert by_channel[Channel.CDISCOUNT] > 400 / 2  # the majority
    assert sum(1 for n in by_channel.values() if n) >= 4  # and several others
    assert len(set(orders.values_list("status", flat=True))) == 5  # statuses spread
    assert 1.6 < OrderItem.objects.filter(order__company=company).count() / 400 < 2.4
    packages = Package.objects.filter(order__company=company)
    assert 0 < packages.count() < 400
    assert all(p.tracking_number for p in packages)
    # Cdiscount orders come through the company's account; channel order ids are unique.
    assert not orders.filter(channel=Channel.CDISCOUNT, channel_account__isnull=True).exists()
    assert orders.values("channel_order_id").distinct().count() == 400
    assert all(" " in name for name in orders.values_list("customer_name", flat=True)[:20])
    # Totals add up on Items: the lines' prices and shipping, on the COPY path as on the other.
    for order in orders.prefetch_related("items")[:50]:
        items = list(order.items.all())
        assert order.subtotal == sum(i.unit_price * i.quantity for i in items)
        assert order.shipping_total == sum(i.shipping for i in items)
        assert order.grand_total == order.subtotal + order.shipping_total


def test_the_same_seed_gives_the_same_names_and_a_second_run_adds_more():
    seed(30, company="one", seed=7)
    seed(30, company="two", seed=7)
    one = list(Order.objects.filter(company__code="one").order_by("pk").values_list("customer_name", flat=True))
    two = list(Order.objects.filter(company__code="two").order_by("pk").values_list("customer_name", flat=True))
    assert one == two
    seed(10, company="one", seed=8)
    assert Order.objects.filter(company__code="one").count() == 40


def test_a_negative_count_is_refused():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        seed(-1)
