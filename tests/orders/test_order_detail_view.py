"""Order Details (`/orders/<id>/`, SPEC S7): what a user sees, in how many queries, and who may see it."""

import uuid
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.choices import EventKind, OrderStatus
from orders.events import order_event
from orders.models import ChannelPayload, Refund
from orders.selectors import order_details_context, payload_diff
from orders.services import order_cancel_internally
from tests.factories import (
    CompanyFactory,
    MembershipFactory,
    OrderFactory,
    OrderItemFactory,
    PackageFactory,
    PaymentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, client_admin):
    client.force_login(client_admin)
    return client


def paid_order(**kwargs):
    order = OrderFactory(payment_status="charged", **kwargs)
    OrderItemFactory(order=order)
    PaymentFactory(order=order)
    return order


def detail(client, order):
    return client.get(reverse("orders:detail", args=[order.pk]))


def test_page_shows_header_and_every_panel(admin_client):
    order = paid_order(
        shipping_address={
            "first_name": "Hélène",
            "line1": "3 rue Pasteur",
            "postal_code": "69003",
            "city": "Lyon",
            "country_code": "FR",
        }
    )
    PackageFactory(order=order, tracking_number="6A12345678901", upload_status="failed", upload_error="Unknown carrier")

    response = detail(admin_client, order)

    assert response.status_code == 200
    html = response.content.decode()
    for heading in (
        "Items",
        "Customer and Addresses",
        "Payments",
        "Refunds",
        "Packages",
        "Profit &amp; Loss",
        "Notes and History",
        "Channel Data",
    ):
        assert f">{heading}</h2>" in html
    for word in ("In Process", "Charged", "Unshipped", "not Ship Confirmed"):
        assert word in html
    assert "Lampe de chevet en laiton" in html
    assert "3 rue Pasteur" in html
    assert "6A12345678901" in html and "Failed" in html and "Unknown carrier" in html
    assert f"Order {order.pk} · Cdiscount {order.channel_order_id}" in html


def test_profit_and_loss_shows_each_line_of_the_formula(admin_client):
    order = paid_order()  # 123.79 incl. VAT at 20 %, commission 10.32 excl. VAT
    PackageFactory(order=order, shipping_cost=Decimal("5.50"))

    html = detail(admin_client, order).content.decode()

    for figure in ("103.16", "123.79", "10.32", "12.38", "5.50", "87.34"):
        assert figure in html
    for label in ("Revenue", "Refunds", "Channel commission", "Shipping cost", "Profit"):
        assert label in html


def test_history_shows_every_event_with_user_and_company_time(admin_client, client_admin):
    company = CompanyFactory(time_zone="America/New_York")
    order = paid_order(company=company)
    event = order_event(order=order, kind=EventKind.NOTE, message="Called the customer", user=client_admin)
    order_event(order=order, kind=EventKind.CHANNEL, message="Cdiscount: status InPreparation", source="Cdiscount")

    html = detail(admin_client, order).content.decode()

    local = timezone.localtime(event.created_at, timezone=ZoneInfo("America/New_York"))
    assert local.strftime("%d/%m/%Y %H:%M:%S") in html
    assert "Called the customer" in html and "Jeanne Dupré" in html
    assert "Cdiscount: status InPreparation" in html


def test_channel_data_lists_versions_newest_first_with_the_changes(admin_client):
    order = paid_order()
    now = timezone.now()
    ChannelPayload.objects.create(
        order=order,
        raw={"status": "WaitingAcceptance", "lines": [{"status": "A"}]},
        sha256="a" * 64,
        received_at=now - timedelta(hours=2),
    )
    ChannelPayload.objects.create(
        order=order,
        raw={"status": "InPreparation", "lines": [{"status": "B"}], "x": 1},
        sha256="b" * 64,
        received_at=now,
    )

    html = detail(admin_client, order).content.decode()

    assert html.index("Version 2") < html.index("Version 1")
    assert "lines[0].status" in html and "InPreparation" in html and "WaitingAcceptance" in html


def test_payload_diff_reports_added_removed_and_changed_paths():
    old = {"status": "Accepted", "lines": [{"id": 1, "status": "A"}], "gone": True}
    new = {"status": "Shipped", "lines": [{"id": 1, "status": "A"}, {"id": 2}], "customer": {"name": "X"}}

    changes = {(c.path, c.kind) for c in payload_diff(old, new)}

    assert changes == {("status", "changed"), ("lines[1].id", "added"), ("customer.name", "added"), ("gone", "removed")}


def test_an_empty_list_filled_is_one_change_told_by_its_new_leaves():
    old = {"lines": [{"parcels": [], "status": "InPreparation"}], "notes": {}}
    new = {
        "lines": [{"parcels": [{"parcelNumber": "6A1", "carrierName": "Colissimo"}], "status": "Shipped"}],
        "notes": {},
    }

    filled = {(c.path, c.kind) for c in payload_diff(old, new)}
    emptied = {(c.path, c.kind) for c in payload_diff(new, old)}

    assert filled == {
        ("lines[0].parcels[0].parcelNumber", "added"),
        ("lines[0].parcels[0].carrierName", "added"),
        ("lines[0].status", "changed"),
    }
    assert emptied == {
        ("lines[0].parcels[0].parcelNumber", "removed"),
        ("lines[0].parcels[0].carrierName", "removed"),
        ("lines[0].status", "changed"),
    }


def test_marketplace_markup_is_shown_as_text(admin_client):
    order = paid_order(customer_name="<script>alert('x')</script>Camille")
    OrderItemFactory(order=order, title='Lampe <img src=x onerror="alert(1)">')
    ChannelPayload.objects.create(order=order, raw={"customer": "<script>evil()</script>"}, sha256="c" * 64)

    html = detail(admin_client, order).content.decode()

    assert "<script>alert" not in html and "<script>evil" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;Camille" in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


def test_only_an_http_tracking_url_is_a_link(admin_client):
    # given a package stored before URLs were checked, with a script URL, and an ordinary one
    order = paid_order()
    PackageFactory(order=order, tracking_number="6A00000000001", tracking_url="javascript:alert(document.domain)")
    PackageFactory(order=order, tracking_number="6A00000000002", tracking_url="https://t.example/?n=6A00000000002")

    html = detail(admin_client, order).content.decode()

    # then the first shows its number as text, the second links to the carrier
    assert "javascript:" not in html
    assert "<td>6A00000000001</td>" in html
    assert '<a href="https://t.example/?n=6A00000000002"' in html


def page_queries(client, order) -> list[str]:
    """The SQL a request for Order Details runs, without the SAVEPOINT / RELEASE pairs that only
    exist because each test runs inside a transaction."""
    with CaptureQueriesContext(connection) as captured:
        assert detail(client, order).status_code == 200
    return [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]


def add_rows(order, user, n):
    payment = order.payments.first()
    for _ in range(n):
        OrderItemFactory(order=order)
        PaymentFactory(order=order, amount=Decimal("1.00"))
        PackageFactory(order=order)
        order_event(order=order, kind=EventKind.NOTE, message="note", user=user)
        ChannelPayload.objects.create(order=order, raw={"n": uuid.uuid4().hex}, sha256=uuid.uuid4().hex * 2)
        Refund.objects.create(
            order=order,
            payment=payment,
            amount=Decimal("1.00"),
            refund_date=timezone.localdate(),
            notes="n",
            user=user,
            form_token=uuid.uuid4(),
        )


def test_query_count_is_at_most_12_and_does_not_grow_with_rows(admin_client, client_admin):
    small, large = paid_order(), paid_order()
    add_rows(small, client_admin, 1)
    add_rows(large, client_admin, 15)

    few, many = page_queries(admin_client, small), page_queries(admin_client, large)

    assert len(many) == len(few)
    assert len(many) <= 12, "\n".join(many)


def test_selector_for_an_employee_stays_within_the_budget(django_assert_max_num_queries):
    order = paid_order()
    employee = UserFactory()
    MembershipFactory(user=employee, company=order.company, can_process_orders=True, can_issue_refunds=True)
    for _ in range(10):
        OrderItemFactory(order=order)

    # the page's own reads: the order, 6 relations, the employee's memberships (once per request)
    with django_assert_max_num_queries(8):
        details = order_details_context(order_id=order.pk, user=employee)

    assert len(details.items) == 11
    assert [a.label for a in details.actions if not a.disabled_reason] == [
        "Issue Refund",
        "Ship Order",
        "Set On Hold",
        "Add Note",
        "Edit Shipping Address",
    ]


def test_another_companys_order_is_404(client):
    mine, theirs = CompanyFactory(), CompanyFactory()
    employee = UserFactory()
    MembershipFactory(user=employee, company=mine, can_process_orders=True)
    order = paid_order(company=theirs)
    client.force_login(employee)

    assert detail(client, order).status_code == 404
    assert client.get(reverse("orders:detail", args=[999999])).status_code == 404


def test_member_without_view_orders_gets_404(client):
    order = paid_order()
    employee = UserFactory()
    MembershipFactory(user=employee, company=order.company, can_view_orders=False)
    client.force_login(employee)

    assert detail(client, order).status_code == 404


def test_login_is_required(client):
    order = paid_order()

    response = detail(client, order)

    assert response.status_code == 302 and "/login/" in response["Location"]


def test_cancelled_order_shows_cancel_disabled_and_refund_still_offered(admin_client, client_admin):
    order = paid_order()
    order_cancel_internally(order=order, by=client_admin, reason="Out of stock")

    html = detail(admin_client, order).content.decode()

    assert "The order is already Canceled." in html
    assert reverse("orders:refund", args=[order.pk]) in html
    assert OrderStatus.CANCELED.label in html


def test_the_whole_page_for_an_employee_is_at_most_12_queries(client):
    order = paid_order()
    add_rows(order, None, 5)
    employee = UserFactory()
    MembershipFactory(user=employee, company=order.company, can_process_orders=True, can_issue_refunds=True)
    client.force_login(employee)

    queries = page_queries(client, order)

    assert len(queries) <= 12, "\n".join(queries)
