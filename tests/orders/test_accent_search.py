"""Search that ignores accents and case (issue 24, point 4), on both databases: customers type
"Emilie" for Émilie and "lefevre" for Lefèvre. The searched column is kept on every write path:
a save, the download (create, COPY and update) and seed_orders."""

import copy
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from orders.filters import search_q
from orders.models import Order
from orders.text import search_text
from tests.channels.test_cancelled_lines import RECORDED, upsert
from tests.factories import CdiscountAccountFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Emilie", "Émilie Lefèvre"),
        ("lefevre", "Émilie Lefèvre"),
        ("LEFÈVRE", "Émilie Lefèvre"),
        ("emilie lef", "Émilie  Lefèvre"),
        ("oeuvre", "Société Œuvre"),
        ("strasse", "Hans Straße"),
    ],
)
def test_a_name_is_found_whatever_its_accents_and_case(typed, name):
    wanted = OrderFactory(customer_name=name)
    OrderFactory(customer_name="Paul Durand")

    assert list(Order.objects.filter(search_q(typed)).values_list("pk", flat=True)) == [wanted.pk]


def test_the_searched_name_follows_every_write_path():
    account = CdiscountAccountFactory()
    raw = copy.deepcopy(RECORDED)
    raw["billingAddress"].update(firstName="Émilie", lastName="Lefèvre")
    downloaded = upsert(account, raw)
    assert downloaded.search_name.endswith("emilie lefevre")

    renamed = copy.deepcopy(raw) | {"updatedAt": "2026-09-03T10:00:00+00:00"}
    renamed["billingAddress"] = dict(raw["billingAddress"], lastName="Bérénice")
    updated = upsert(account, renamed)
    assert updated.search_name.endswith("emilie berenice")
    assert "Search name" not in updated.events.latest("created_at").message

    local = OrderFactory(customer_name="Zoé")
    local.customer_name = "Chloé Ÿ"
    local.save(update_fields=["customer_name"])
    assert Order.objects.get(pk=local.pk).search_name == "chloe y"

    call_command("seed_orders", count=30, company="seeded", stdout=StringIO())
    for name, searched in Order.objects.filter(company__code="seeded").values_list("customer_name", "search_name"):
        assert searched == search_text(name)


def test_the_manage_orders_box_finds_it(client, client_admin):
    order = OrderFactory(customer_name="Hélène Lefèvre")
    client.force_login(client_admin)

    page = client.get(reverse("orders:list"), {"q": "helene lefevre"}).content.decode()

    assert f"Select order {order.pk}" in page
