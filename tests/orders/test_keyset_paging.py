"""Keyset paging on Manage Orders (issue 25, point 2): Next and Previous carry a cursor and read
from it, so they show exactly what the numbered pages show, stay right when new orders arrive
while a user pages, and a cursor that is not ours is refused with a message."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import Order
from tests.factories import CompanyFactory, OrderFactory
from tests.orders.test_order_list_view import shown_ids

pytestmark = pytest.mark.django_db

LIST = reverse("orders:list")


@pytest.fixture
def orders():
    """70 orders over two companies, several sharing a date, a name or a total (ties the id breaks)."""
    base = timezone.now() - timedelta(days=30)
    companies = [CompanyFactory(name="Atelier Bleu"), CompanyFactory(name="Maison Lumière")]
    return [
        OrderFactory(
            company=companies[i % 2],
            order_date=base + timedelta(minutes=i // 3),
            customer_name=f"Client {i % 7}",
            grand_total=Decimal("10.00") + i % 5,
        )
        for i in range(70)
    ]


@pytest.fixture
def admin_client(client, client_admin):
    """A Client Admin: every company's orders."""
    client.force_login(client_admin)
    return client


def link(response, rel: str) -> dict[str, str] | None:
    """The query of the page's Prev / Next link, or None."""
    found = re.search(rf'href="([^"]*)" rel="{rel}"', response.content.decode())
    if not found:
        return None
    return {k: v[0] for k, v in parse_qs(urlsplit(unescape(found.group(1))).query, strict_parsing=True).items()}


@pytest.mark.parametrize("sort", ["", "customer", "-grand_total", "company", "id", "-order_date"])
def test_next_and_previous_show_what_the_numbered_pages_show(admin_client, orders, sort):
    query = {"per_page": 25, **({"sort": sort} if sort else {})}
    numbered = [shown_ids(admin_client.get(LIST, {**query, "page": n})) for n in (1, 2, 3)]

    first = admin_client.get(LIST, query)
    second = admin_client.get(LIST, link(first, "next"))
    third = admin_client.get(LIST, link(second, "next"))
    back = admin_client.get(LIST, link(third, "prev"))
    front = admin_client.get(LIST, link(back, "prev"))

    assert "after" in link(first, "next") and "before" in link(third, "prev")
    assert [shown_ids(r) for r in (first, second, third)] == numbered
    assert link(third, "next") is None  # 70 orders: the third page of 25 is the last
    assert shown_ids(back) == numbered[1] and back.context["page"].number == 2
    assert shown_ids(front) == numbered[0] and front.context["page"].number == 1
    assert link(front, "prev") is None


def test_next_neither_repeats_nor_skips_an_order_when_new_orders_arrive(admin_client, orders):
    first = admin_client.get(LIST, {"per_page": 25})
    before_arrival = shown_ids(admin_client.get(LIST, {"per_page": 25, "page": 2}))
    for _ in range(3):  # the download brings three new orders, newest first in the grid
        OrderFactory(company=orders[0].company, order_date=timezone.now())

    second = admin_client.get(LIST, link(first, "next"))

    assert shown_ids(second) == before_arrival
    assert not set(shown_ids(first)) & set(shown_ids(second))


def test_a_cursor_that_is_not_ours_is_refused_with_a_message_and_the_page_read_by_its_number(admin_client, orders):
    numbered = shown_ids(admin_client.get(LIST, {"per_page": 25, "page": 2}))
    for bad in ("not-a-cursor", "WyJ4IiwgLTFd", "WyJub3QgYSBkYXRlIiwgNV0"):  # junk; id -1; a date that is not
        response = admin_client.get(LIST, {"per_page": 25, "page": 2, "after": bad}, follow=True)
        assert shown_ids(response) == numbered
        assert "That page link is no longer valid: showing page 2 instead." in response.content.decode()
    assert Order.objects.count() == 70


def test_a_sort_on_a_column_that_can_be_empty_pages_by_number(admin_client, orders):
    Order.objects.filter(pk__in=[o.pk for o in orders[::2]]).update(ship_by=timezone.now())
    first = admin_client.get(LIST, {"per_page": 25, "sort": "ship_by"})
    assert "after" not in link(first, "next")
    second = admin_client.get(LIST, link(first, "next"))
    assert shown_ids(second) == shown_ids(admin_client.get(LIST, {"per_page": 25, "sort": "ship_by", "page": 2}))
