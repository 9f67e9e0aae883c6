"""Manage Orders > Actions > Import Tracking (SPEC S8, S12): the upload page, the report, a bad
file, an oversized file, who may import, CSRF."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orders.choices import OrderStatus, PaymentStatus, ShippingStatus
from orders.models import Order, Package
from orders.tracking_import import MAX_BYTES
from tests.factories import CdiscountAccountFactory, CompanyFactory, MembershipFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db

IMPORT = "orders:import_tracking"
REPORT = "orders:import_tracking_report"


@pytest.fixture
def company_a():
    return CompanyFactory(name="Maison A")


@pytest.fixture
def clerk(company_a):
    """May process the orders of company A only."""
    user = UserFactory()
    MembershipFactory(user=user, company=company_a, can_process_orders=True)
    return user


@pytest.fixture
def clerk_client(client, clerk):
    client.force_login(clerk)
    return client


def paid(company, **fields) -> Order:
    return OrderFactory(company=company, payment_status=PaymentStatus.CHARGED, **fields)


def upload(name: str, content: bytes, content_type: str = "text/csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def state(order: Order) -> tuple:
    order.refresh_from_db()
    return (order.status, order.shipping_status, order.packages.count(), order.events.count())


def test_the_menu_offers_import_tracking_and_the_page_says_the_columns(clerk_client, company_a):
    OrderFactory(company=company_a)
    entries = {e.key: e for e in clerk_client.get(reverse("orders:list")).context["action_entries"]}
    assert entries["import_tracking"].url == reverse(IMPORT) and not entries["import_tracking"].disabled_reason
    # picked from the menu with the grid's form (any selection): it opens its page
    response = clerk_client.post(reverse("orders:bulk"), {"action": "import_tracking", "ids": ["1"]})
    assert response.status_code == 302 and response.url == reverse(IMPORT)

    html = clerk_client.get(reverse(IMPORT)).content.decode()
    assert 'enctype="multipart/form-data"' in html and "csrfmiddlewaretoken" in html
    assert '<label for="id_file">CSV file' in html
    for column in ("Order ID", "Channel Order ID", "Carrier", "Tracking Number", "Ship Date"):
        assert f"<strong>{column}</strong>" in html
    assert "Order ID,Channel Order ID,Carrier,Tracking Number,Ship Date\n1234,,La Poste Colissimo" in html


def test_each_row_is_reported_and_only_the_good_order_changes(clerk_client, company_a):
    # given a good order, one whose row has a tracking number with a space, one of another company
    CdiscountAccountFactory(company=company_a, upload_enabled=True)
    good, spaced = paid(company_a), paid(company_a)
    foreign = paid(CompanyFactory(name="Maison B"))
    before = {o.pk: state(o) for o in (spaced, foreign)}
    today = timezone.localdate()
    text = (
        "Order ID,Carrier,Tracking Number,Ship Date\n"
        f"{good.pk},Colissimo,6A0000000001,{today:%d/%m/%Y}\n"
        f"{spaced.pk},Colissimo,6A 0002,{today.isoformat()}\n"
        f"{foreign.pk},Colissimo,6A0000000003,{today.isoformat()}\n"
    )

    # when
    response = clerk_client.post(reverse(IMPORT), {"file": upload("tracking.csv", text.encode())}, follow=True)

    # then the report: row number, order reference, Shipped or the reason, and the counts
    assert response.redirect_chain == [(reverse(REPORT), 302)]
    html = response.content.decode()
    rows = response.context["report"]["rows"]
    assert [(r["row"], r["order_ref"], r["shipped"]) for r in rows] == [
        (2, str(good.pk), True),
        (3, str(spaced.pk), False),
        (4, str(foreign.pk), False),
    ]
    assert rows[0]["message"].startswith("Shipped with Colissimo 6A0000000001")
    assert rows[1]["message"] == "Tracking number cannot contain spaces or the characters & * $."
    assert rows[2]["message"] == f"Order {foreign.pk} not found."
    assert "<strong>3</strong> rows" in html and "1 shipped" in html and "2 errors" in html
    assert "Tracking number cannot contain spaces or the characters &amp; * $." in html
    assert f"Order {foreign.pk} not found." in html
    assert f'<a href="{reverse("orders:detail", args=[good.pk])}">{good.pk}</a>' in html
    # and only the good order changed
    good.refresh_from_db()
    assert (good.status, good.shipping_status) == (OrderStatus.COMPLETED, ShippingStatus.FULLY_SHIPPED)
    assert good.packages.get().tracking_number == "6A0000000001"
    assert {o.pk: state(o) for o in (spaced, foreign)} == before

    # reloading the report imports nothing again
    assert clerk_client.get(reverse(REPORT)).status_code == 200
    assert Package.objects.count() == 1


def test_a_shipping_cost_its_column_cannot_hold_is_reported_and_the_order_still_opens(clerk_client, company_a):
    order = paid(company_a)
    before = state(order)
    text = f"Order ID,Carrier,Tracking Number,Ship Date,Shipping Cost\n{order.pk},Colissimo,6A01,,99999999999\n"

    response = clerk_client.post(reverse(IMPORT), {"file": upload("t.csv", text.encode())}, follow=True)

    rows = response.context["report"]["rows"]
    message = "Shipping cost must be an amount such as 12.50 (at most 10 digits before the decimal point and 2 after)."
    assert [(r["row"], r["shipped"], r["message"]) for r in rows] == [(2, False, message)]
    assert message in response.content.decode()
    assert state(order) == before and not Package.objects.exists()
    assert clerk_client.get(reverse("orders:detail", args=[order.pk])).status_code == 200


def test_markup_in_a_row_is_shown_as_text(clerk_client, company_a):
    text = "Channel Order ID,Carrier,Tracking Number\n<script>alert(1)</script>,Colissimo,6A01\n"
    html = clerk_client.post(reverse(IMPORT), {"file": upload("t.csv", text.encode())}, follow=True).content.decode()
    assert "<script>alert(1)" not in html
    assert "Order &lt;script&gt;alert(1)&lt;/script&gt; not found." in html


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("orders.xlsx", b"PK\x03\x04\x14\x00\x06\x00binary spreadsheet", "This is not a CSV file"),
        ("picture.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not a CSV file"),
        ("empty.csv", b"", "The file is empty."),
        ("blank.csv", b"  \n\n", "The file is empty."),
        ("bom.csv", b"\xef\xbb\xbf", "The file is empty."),
        ("bom-lines.csv", b"\xef\xbb\xbf\r\n\r\n", "The file is empty."),
        ("notes.csv", b"Hello,World\nfoo,bar\n", "The first row must be a header with the columns"),
    ],
)
def test_a_bad_file_gets_a_clear_message_and_changes_nothing(clerk_client, company_a, name, content, message):
    order = paid(company_a)
    before = state(order)

    response = clerk_client.post(reverse(IMPORT), {"file": upload(name, content)})

    assert response.status_code == 200  # the form again, with the message on top
    html = response.content.decode()
    assert '<div class="message message-error" role="alert">Nothing was imported: ' in html
    assert message in html
    assert state(order) == before
    assert not Package.objects.exists() and clerk_client.get(reverse(REPORT)).status_code == 302


def test_no_file_and_an_oversized_file_are_refused(clerk_client, company_a):
    order = paid(company_a)
    before = state(order)
    html = clerk_client.post(reverse(IMPORT), {}).content.decode()
    assert "Nothing was imported: Choose a CSV file to import." in html

    big = b"Order ID,Carrier,Tracking Number,Ship Date\n" + b"x" * MAX_BYTES
    html = clerk_client.post(reverse(IMPORT), {"file": upload("big.csv", big)}).content.decode()

    assert "Nothing was imported: The file is too large (2.0 MB): at most 2 MB. Split it into several files." in html
    assert state(order) == before


def test_without_process_orders_the_page_and_the_post_are_403(client, company_a):
    viewer = UserFactory()
    MembershipFactory(user=viewer, company=company_a, can_view_orders=True, can_process_orders=False)
    order = paid(company_a)
    before = state(order)
    client.force_login(viewer)

    entries = {e.key: e for e in client.get(reverse("orders:list")).context["action_entries"]}
    assert entries["import_tracking"].disabled_reason
    assert client.get(reverse(IMPORT)).status_code == 403
    text = f"Order ID,Carrier,Tracking Number\n{order.pk},Colissimo,6A01\n".encode()
    assert client.post(reverse(IMPORT), {"file": upload("t.csv", text)}).status_code == 403
    assert client.get(reverse(REPORT)).status_code == 403
    assert state(order) == before


def test_anonymous_users_are_sent_to_login(client):
    response = client.get(reverse(IMPORT))
    assert response.status_code == 302 and "/login" in response.url


def test_the_post_needs_the_csrf_token(clerk, company_a):
    order = paid(company_a)
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    text = f"Order ID,Carrier,Tracking Number\n{order.pk},Colissimo,6A01\n".encode()

    assert client.post(reverse(IMPORT), {"file": upload("t.csv", text)}).status_code == 403
    assert not Package.objects.exists()
