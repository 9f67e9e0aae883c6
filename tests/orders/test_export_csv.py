"""Manage Orders > Actions > Export CSV: streamed, the grid's columns, text exactly as entered,
and no formula a spreadsheet would run (CSV injection)."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from orders.bulk import csv_safe
from orders.choices import Channel
from tests.factories import CompanyFactory, MembershipFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db

BULK = reverse("orders:bulk")


@pytest.fixture
def company_a(db):
    return CompanyFactory(name="Maison Lumière SAS")


@pytest.fixture
def viewer_client(client, company_a):
    """An employee who may only view the orders of company A: enough to export them."""
    user = UserFactory()
    MembershipFactory(user=user, company=company_a, can_view_orders=True)
    client.force_login(user)
    return client


def read_csv(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_export_the_ticked_orders(viewer_client, company_a):
    order = OrderFactory(
        company=company_a,
        channel=Channel.CDISCOUNT,
        channel_order_id="2611210915ABCDE",
        customer_name="Hélène Lefèvre",
        customer_reference="CUST-778",
        grand_total=Decimal("123.79"),
        order_date=datetime(2026, 11, 21, 9, 15, tzinfo=UTC),
    )
    OrderFactory(company=company_a)  # not ticked

    response = viewer_client.post(BULK, {"action": "export_csv", "ids": [order.pk]})

    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="orders-')
    header, *rows = read_csv(response)
    assert header[:6] == ["Order ID", "Channel", "Channel Order ID", "Company", "Order Date", "Customer"]
    assert rows == [
        [
            str(order.pk),
            "Cdiscount",
            "2611210915ABCDE",
            "Maison Lumière SAS",
            "2026-11-21 10:15",  # the company's time zone
            "Hélène Lefèvre",
            "CUST-778",
            "In Process",
            "No Payment",
            "Unshipped",
            "",
            "123.79",
            "EUR",
            "",
        ]
    ]


def test_export_all_filtered_orders_after_saying_how_many(viewer_client, company_a):
    wanted = [OrderFactory(company=company_a, channel=Channel.AMAZON) for _ in range(3)]
    OrderFactory(company=company_a, channel=Channel.CDISCOUNT)
    every = {"action": "export_csv", "all": "1", "query": "channel=amazon&sort=id"}

    confirm = viewer_client.post(BULK, every)
    assert "Export CSV on <strong>3 orders</strong>" in confirm.content.decode()

    _header, *rows = read_csv(viewer_client.post(BULK, {**every, "confirmed": "1"}))
    assert [int(r[0]) for r in rows] == sorted(o.pk for o in wanted)  # in the grid's sort


def test_markup_is_exported_as_text(viewer_client, company_a):
    order = OrderFactory(company=company_a, customer_name='<script>alert("x")</script> & <b>Zoé</b>')
    _header, row = read_csv(viewer_client.post(BULK, {"action": "export_csv", "ids": [order.pk]}))
    assert row[5] == '<script>alert("x")</script> & <b>Zoé</b>'


@pytest.mark.parametrize(
    ("name", "exported"),
    [
        ('=HYPERLINK("http://evil.test","clic")', '\'=HYPERLINK("http://evil.test","clic")'),
        ("+33 6 12 34 56 78", "'+33 6 12 34 56 78"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("Zoé = Bernard", "Zoé = Bernard"),  # only a leading character makes a formula
    ],
)
def test_no_formula_reaches_a_spreadsheet(viewer_client, company_a, name, exported):
    order = OrderFactory(company=company_a, customer_name=name)
    _header, row = read_csv(viewer_client.post(BULK, {"action": "export_csv", "ids": [order.pk]}))
    assert row[5] == exported


def test_csv_safe_leaves_numbers_and_plain_text_alone():
    assert csv_safe(Decimal("12.50")) == "12.50"
    assert csv_safe(None) == ""
    assert csv_safe("\t=1") == "'\t=1"


def test_another_company_orders_are_never_exported(viewer_client, company_a):
    mine = OrderFactory(company=company_a)
    theirs = OrderFactory(company=CompanyFactory())

    _h, *ticked = read_csv(viewer_client.post(BULK, {"action": "export_csv", "ids": [mine.pk, theirs.pk]}))
    _h, *every = read_csv(viewer_client.post(BULK, {"action": "export_csv", "all": "1", "confirmed": "1"}))

    assert [int(r[0]) for r in ticked] == [mine.pk]
    assert [int(r[0]) for r in every] == [mine.pk]
