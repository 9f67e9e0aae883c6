"""The Order Details actions through the page (SPEC S7, S8, S12): each action does what it says,
each bad input is answered by a clear message and changes nothing, and only the right users may
act (per-company permissions, 404 outside their companies)."""

import copy
import json
import re
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from channels.cdiscount.parsing import parse_order
from channels.download.upsert import order_upsert_from_cdiscount
from channels.models import CarrierMapping
from orders.actions import ORDER_ACTIONS
from orders.choices import EventKind, OrderStatus, PaymentStatus, ShippingStatus, UploadStatus
from orders.holds import order_hold
from orders.models import Order, OrderEvent, Package, Refund
from orders.payments import order_refresh_payment_status
from tests.factories import (
    CdiscountAccountFactory,
    CompanyFactory,
    MembershipFactory,
    OrderFactory,
    PackageFactory,
    PaymentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# Every action of Order Details: orders' own (one declaration each) and Cdiscount's.
ACTION_NAMES = [declared.url_name.removeprefix("orders:") for declared in ORDER_ACTIONS] + ["accept", "refuse"]


@pytest.fixture
def admin_client(client, client_admin):
    client.force_login(client_admin)
    return client


@pytest.fixture
def paid_order():
    order = OrderFactory(grand_total=Decimal("123.79"))
    PaymentFactory(order=order, amount=Decimal("123.79"), reference="cdiscount")
    order_refresh_payment_status(order=order)
    return order


def url(name, order):
    if name in ("accept", "refuse"):  # Cdiscount's actions, run by the generic channel-action view
        return reverse("orders:channel_action", args=[order.pk, name])
    return reverse(f"orders:{name}", args=[order.pk])


def post(client, name, order, data=None):
    return client.post(url(name, order), data or {}, follow=True)


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def snapshot(order):
    """What a refused action must leave untouched."""
    order = Order.objects.get(pk=order.pk)
    return (
        order.status,
        order.payment_status,
        order.shipping_status,
        order.channel_status,
        order.shipping_address,
        Refund.objects.filter(order=order).count(),
        Package.objects.filter(order=order).count(),
        OrderEvent.objects.filter(order=order).count(),
    )


def refund_data(response, **changes):
    """The refund form as the page rendered it (defaults and one-time token), with `changes`."""
    form = response.context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else str(v)) for k, v in data.items()}
    data.update(changes)
    return data


# --- Set Cancelled Internally -----------------------------------------------------------------


def test_cancel_through_the_page(admin_client, paid_order):
    package = PackageFactory(order=paid_order, upload_status=UploadStatus.PENDING)

    response = post(admin_client, "cancel", paid_order, {"reason": "Out of stock"})

    paid_order.refresh_from_db()
    package.refresh_from_db()
    assert paid_order.status == OrderStatus.CANCELED
    assert package.upload_status == UploadStatus.WITHDRAWN
    assert any("Cancel it on the Cdiscount seller portal too" in m for m in messages_of(response))
    assert response.request["PATH_INFO"] == url("detail", paid_order)
    assert paid_order.events.filter(kind=EventKind.CANCEL, message__contains="Out of stock").exists()


def test_cancel_form_says_cdiscount_must_be_cancelled_on_the_portal(admin_client, paid_order):
    html = admin_client.get(url("cancel", paid_order)).content.decode()

    assert "cancel it on the Cdiscount seller portal too" in html
    assert '<label for="id_reason"' in html


def test_cancel_after_ship_confirmed_is_refused_and_disabled_in_the_menu(admin_client, paid_order):
    Order.objects.filter(pk=paid_order.pk).update(ship_confirmed_at=timezone.now())
    before = snapshot(paid_order)

    response = post(admin_client, "cancel", paid_order, {"reason": "Customer changed their mind"})
    page = admin_client.get(url("detail", paid_order)).content.decode()

    assert any(
        m.startswith("Ship Confirmed on") and "issue a refund or create an RMA" in m for m in messages_of(response)
    )
    assert snapshot(paid_order) == before
    # the menu shows it disabled with the reason, not as a link
    assert re.search(r'is-disabled[^>]*>Set Cancelled Internally<small class="menu-reason">Ship Confirmed on', page)
    assert f'href="{url("cancel", paid_order)}"' not in page


def test_cancel_twice_is_refused(admin_client, paid_order):
    post(admin_client, "cancel", paid_order, {"reason": "Out of stock"})
    before = snapshot(paid_order)

    response = post(admin_client, "cancel", paid_order, {"reason": "Again"})

    assert "The order is already Canceled." in messages_of(response)
    assert snapshot(paid_order) == before


def test_cancel_without_a_reason_is_refused(admin_client, paid_order):
    before = snapshot(paid_order)

    response = post(admin_client, "cancel", paid_order, {"reason": "  "})

    assert "This field is required." in response.content.decode()
    assert snapshot(paid_order) == before


# --- Issue Refund -----------------------------------------------------------------------------


def test_refund_form_defaults(admin_client, paid_order):
    paid_order.company.time_zone = "Pacific/Kiritimati"  # UTC+14: "today" there is often tomorrow in UTC
    paid_order.company.save()

    response = admin_client.get(url("refund", paid_order))

    html = response.content.decode()
    form = response.context["form"]
    assert form["amount"].value() == Decimal("123.79")
    today = timezone.localdate(timezone=ZoneInfo("Pacific/Kiritimati"))
    assert form["refund_date"].value() == today
    assert re.search(r'<input type="hidden" name="form_token" value="[0-9a-f-]{36}"', html)
    assert "Cdiscount (123.79 EUR paid, 123.79 refundable)" in html
    assert "Cdiscount refunds must also be issued on the Cdiscount seller portal" in html
    for label in ("Operation Type", "Amount To Refund", "Refund Date", "Notes", "Refund Method", "Reference Number"):
        assert f">{label}:</label>" in html
    assert ">Refund</button>" in html


def test_partial_refund_then_the_rest(admin_client, paid_order):
    first = refund_data(admin_client.get(url("refund", paid_order)), amount="23.79", notes="Scratched lamp")
    response = post(admin_client, "refund", paid_order, first)
    assert any("Refund of 23.79 EUR recorded. Payment Status: Partial Refund." in m for m in messages_of(response))

    second_form = admin_client.get(url("refund", paid_order))
    assert second_form.context["form"]["amount"].value() == Decimal("100.00")  # what is still refundable
    response = post(admin_client, "refund", paid_order, refund_data(second_form, notes="Returned"))

    paid_order.refresh_from_db()
    assert paid_order.payment_status == PaymentStatus.FULL_REFUND
    assert paid_order.status == OrderStatus.IN_PROCESS  # Order Status does not change
    html = response.content.decode()
    assert "Full Refund" in html
    # Profit & Loss: 103.16 revenue - 103.16 refunds - 10.32 commission - 0 shipping
    assert re.search(r'data-testid="profit"><strong>-10.32</strong>', html)


@pytest.mark.parametrize(
    "amount, message",
    [
        ("200.00", "is more than what is still refundable"),
        ("0", "Amount To Refund must be more than 0."),
        ("-5", "Enter an amount of 0 or more, such as 12.50."),
        ("abc", "Enter an amount such as 12.50 (at most 10 digits before the decimal point and 2 after)."),
        ("", "This field is required."),
    ],
)
def test_refund_refuses_bad_amounts(admin_client, paid_order, amount, message):
    data = refund_data(admin_client.get(url("refund", paid_order)), amount=amount, notes="n")
    before = snapshot(paid_order)

    response = post(admin_client, "refund", paid_order, data)

    assert message in response.content.decode()
    assert snapshot(paid_order) == before


def test_refund_refuses_future_date_date_before_the_order_and_missing_notes(admin_client, paid_order):
    form = admin_client.get(url("refund", paid_order))
    before = snapshot(paid_order)
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    past = (paid_order.order_date - timedelta(days=3)).date().isoformat()

    for changes, message in [
        ({"refund_date": future, "notes": "n"}, "Refund Date cannot be in the future."),
        ({"refund_date": past, "notes": "n"}, "Refund Date cannot be before the order date."),
        ({"notes": ""}, "This field is required."),
        ({"notes": "n", "refund_date": "not a date"}, "Enter a date as dd/mm/yyyy, such as 31/12/2026."),
    ]:
        response = post(admin_client, "refund", paid_order, refund_data(form, **changes))
        assert message in response.content.decode()
    assert snapshot(paid_order) == before


def test_refund_is_hidden_without_a_payment_and_a_direct_post_is_refused(admin_client):
    order = OrderFactory()
    before = snapshot(order)

    page = admin_client.get(url("detail", order)).content.decode()
    response = post(
        admin_client,
        "refund",
        order,
        {"amount": "10", "refund_date": timezone.localdate().isoformat(), "notes": "n", "form_token": uuid.uuid4()},
    )

    assert "Issue Refund" not in page
    assert url("refund", order) not in page
    assert "No payment has been applied to this order: there is nothing to refund." in messages_of(response)
    assert snapshot(order) == before


def test_same_form_posted_twice_makes_one_refund_but_two_genuine_refunds_both_go(admin_client, paid_order):
    form = refund_data(admin_client.get(url("refund", paid_order)), amount="10.00", notes="Late delivery")

    post(admin_client, "refund", paid_order, form)
    post(admin_client, "refund", paid_order, form)  # double click, back button, retried request
    assert Refund.objects.filter(order=paid_order).count() == 1

    again = refund_data(admin_client.get(url("refund", paid_order)), amount="10.00", notes="Second gesture")
    post(admin_client, "refund", paid_order, again)
    assert list(Refund.objects.filter(order=paid_order).values_list("amount", flat=True)) == [
        Decimal("10.00"),
        Decimal("10.00"),
    ]


def test_refund_with_a_payment_of_another_order_is_refused(admin_client, paid_order):
    other = PaymentFactory()
    data = refund_data(admin_client.get(url("refund", paid_order)), payment=str(other.pk), notes="n")
    before = snapshot(paid_order)

    response = post(admin_client, "refund", paid_order, data)

    assert "Select a valid choice." in response.content.decode()
    assert snapshot(paid_order) == before


# --- Ship Order -------------------------------------------------------------------------------


def ship_data(**changes):
    data = {
        "carrier": "Colissimo",
        "service": "Domicile",
        "tracking_number": "6A12345678901",
        "tracking_url": "",
        "ship_date": timezone.localdate().isoformat(),
        "shipping_cost": "5.50",
    }
    data.update(changes)
    return data


def test_ship_through_the_page_with_the_carriers_tracking_url(admin_client, paid_order):
    CarrierMapping.objects.create(
        account=paid_order.channel_account,
        carrier="Colissimo",
        cdiscount_carrier="Colissimo",
        tracking_url_template="https://www.laposte.fr/outils/suivre-vos-envois?code={tracking_number}",
    )
    form_page = admin_client.get(url("ship", paid_order)).content.decode()
    assert "tracking-url-templates" in form_page and "suivre-vos-envois" in form_page

    response = post(admin_client, "ship", paid_order, ship_data())

    paid_order.refresh_from_db()
    package = paid_order.packages.get()
    assert (paid_order.status, paid_order.shipping_status) == (OrderStatus.COMPLETED, ShippingStatus.FULLY_SHIPPED)
    assert package.tracking_url == "https://www.laposte.fr/outils/suivre-vos-envois?code=6A12345678901"
    assert package.shipping_cost == Decimal("5.50")
    assert any(m.startswith("Shipped with Colissimo 6A12345678901") for m in messages_of(response))
    assert "6A12345678901" in response.content.decode()


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"tracking_number": "6A 1234"}, "Tracking number may hold only letters A-Z, digits 0-9 and hyphens (-)"),
        ({"tracking_number": "6A&1234"}, "Tracking number may hold only letters A-Z, digits 0-9 and hyphens (-)"),
        ({"tracking_number": "X" * 51}, "Tracking number is at most 50 characters. This one has 51."),
        ({"tracking_url": "ftp://example.test/6A"}, "Tracking URL must be an http or https address"),
        ({"tracking_url": "javascript:alert(1)"}, "Tracking URL must be an http or https address"),
        ({"tracking_url": "http://x y"}, "Tracking URL must be an http or https address"),
        ({"tracking_url": "https://example.test/\u202egnp.exe"}, "Tracking URL must be an http or https address"),
        ({"tracking_number": ""}, "This field is required."),
        (
            {"shipping_cost": "abc"},
            "Enter an amount such as 12.50 (at most 10 digits before the decimal point and 2 after).",
        ),
        ({"ship_date": (timezone.localdate() + timedelta(days=2)).isoformat()}, "Ship date cannot be in the future."),
    ],
)
def test_ship_refuses_bad_tracking(admin_client, paid_order, changes, message):
    before = snapshot(paid_order)

    response = post(admin_client, "ship", paid_order, ship_data(**changes))

    assert message in response.content.decode()
    assert snapshot(paid_order) == before


@pytest.mark.parametrize(
    "number",
    [
        "6A\x1b[31m1234",  # an ESC sequence
        "6A\x071234",  # a control character (BEL)
        "6A\x7f1234",  # DEL
        "\u202e1234A6",  # right-to-left override
        "6A\u200b1234",  # zero-width space
        "<b>6A1234</b>",
        "=1+1",
        "6A1234\U0001f4e6",  # an emoji
        "6A_1234",
        "6A\u212a1234",  # the Kelvin sign, which [a-z] takes under IGNORECASE
        "６A1234",  # a fullwidth digit
    ],
)
def test_ship_refuses_a_tracking_number_no_carrier_issues(admin_client, paid_order, number):
    before = snapshot(paid_order)

    response = post(admin_client, "ship", paid_order, ship_data(tracking_number=number))

    assert messages_of(response) == [
        "Tracking number may hold only letters A-Z, digits 0-9 and hyphens (-), "
        "with no spaces or other signs, such as 6A12345678901."
    ]
    assert snapshot(paid_order) == before


def test_ship_takes_letters_digits_and_hyphens_up_to_50(admin_client, paid_order):
    number = "6A-" + "x" * 21 + "Z9" * 12 + "-1"

    post(admin_client, "ship", paid_order, ship_data(tracking_number=number))

    assert len(number) == 50
    assert paid_order.packages.get().tracking_number == number


def test_ship_refuses_canceled_on_hold_unpaid_and_a_second_cdiscount_package(admin_client, client_admin, paid_order):
    unpaid = OrderFactory()
    on_hold = OrderFactory(payment_status=PaymentStatus.CHARGED)
    order_hold(order=on_hold, by=client_admin, reason="Address check")
    canceled = OrderFactory(payment_status=PaymentStatus.CHARGED)
    post(admin_client, "cancel", canceled, {"reason": "Out of stock"})
    post(admin_client, "ship", paid_order, ship_data())
    cases = [
        (canceled, "The order is Canceled: it cannot be shipped."),
        (on_hold, "The order is On Hold: release the hold first."),
        (unpaid, "The order is not paid: ship it once its payment has arrived."),
        (paid_order, "Cdiscount accepts one parcel per order, and this order already has a package."),
    ]
    for order, message in cases:
        before = snapshot(order)
        response = post(admin_client, "ship", order, ship_data(tracking_number="6A99999999999"))
        assert message in messages_of(response), order
        assert snapshot(order) == before
        # and the menu says so beforehand
        assert message in admin_client.get(url("detail", order)).content.decode()


# --- Money: an amount its column cannot hold (issue 13, point 5) -------------------------------

MONEY_MESSAGE = "Enter an amount such as 12.50 (at most 10 digits before the decimal point and 2 after)."
BAD_AMOUNTS = ["99999999999", "1E1", "1e5", "\u0661\u0662", "\u00b2", "12.345", "NaN", "Infinity", "0x10", "1_000"]


@pytest.mark.parametrize("cost", BAD_AMOUNTS)
def test_ship_refuses_a_shipping_cost_its_column_cannot_hold(admin_client, paid_order, cost):
    before = snapshot(paid_order)

    response = admin_client.post(url("ship", paid_order), ship_data(shipping_cost=cost))

    assert response.status_code == 200  # the form again, with the message under the field
    assert MONEY_MESSAGE in response.content.decode()
    assert snapshot(paid_order) == before
    assert not Package.objects.exists()
    assert admin_client.get(url("detail", paid_order)).status_code == 200


def test_ship_refuses_a_negative_shipping_cost(admin_client, paid_order):
    before = snapshot(paid_order)

    response = admin_client.post(url("ship", paid_order), ship_data(shipping_cost="-5"))

    assert response.status_code == 200
    assert "Enter an amount of 0 or more, such as 12.50." in response.content.decode()
    assert snapshot(paid_order) == before


@pytest.mark.parametrize(("cost", "stored"), [(" 12 ", "12.00"), ("12,5", "12.50"), ("9999999999.99", "9999999999.99")])
def test_ship_takes_a_french_comma_and_the_largest_amount_the_column_holds(admin_client, paid_order, cost, stored):
    response = post(admin_client, "ship", paid_order, ship_data(shipping_cost=cost))

    assert response.status_code == 200
    assert str(paid_order.packages.get().shipping_cost) == stored
    assert admin_client.get(url("detail", paid_order)).status_code == 200


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_refund_refuses_an_amount_its_column_cannot_hold(admin_client, paid_order, amount):
    data = refund_data(admin_client.get(url("refund", paid_order)), amount=amount, notes="n")
    before = snapshot(paid_order)

    response = admin_client.post(url("refund", paid_order), data)

    assert response.status_code == 200
    assert MONEY_MESSAGE in response.content.decode()
    assert snapshot(paid_order) == before
    assert not Refund.objects.exists()


def test_refund_takes_a_french_comma(admin_client, paid_order):
    data = refund_data(admin_client.get(url("refund", paid_order)), amount="12,50", notes="n")

    post(admin_client, "refund", paid_order, data)

    assert Refund.objects.get(order=paid_order).amount == Decimal("12.50")


# --- Holds, problems, notes, address ----------------------------------------------------------


def test_hold_then_release_restores_the_status_before_the_hold(admin_client, paid_order):
    Order.objects.filter(pk=paid_order.pk).update(status=OrderStatus.PROBLEM)

    response = post(admin_client, "hold", paid_order, {"reason": "Waiting for the customer"})
    assert "Order set On Hold." in messages_of(response)
    assert "On Hold: Waiting for the customer" in response.content.decode()

    response = post(admin_client, "release_hold", paid_order)
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.PROBLEM
    assert "Hold released: the order is Problem Order." in messages_of(response)
    assert paid_order.events.filter(kind=EventKind.RELEASE).count() == 1


def test_hold_twice_and_release_when_not_on_hold_are_refused(admin_client, paid_order):
    post(admin_client, "hold", paid_order, {"reason": "Fraud check"})
    before = snapshot(paid_order)
    assert "The order is already On Hold." in messages_of(post(admin_client, "hold", paid_order, {"reason": "x"}))
    assert snapshot(paid_order) == before

    post(admin_client, "release_hold", paid_order)
    before = snapshot(paid_order)
    assert "The order is not On Hold." in messages_of(post(admin_client, "release_hold", paid_order))
    assert snapshot(paid_order) == before


def test_a_release_note_with_a_nul_character_gets_a_message_and_changes_nothing(admin_client, client_admin, paid_order):
    # PostgreSQL cannot store a NUL in text: it used to answer 500 there.
    order_hold(order=paid_order, by=client_admin, reason="Fraud check")
    before = snapshot(paid_order)

    response = post(admin_client, "release_hold", paid_order, {"note": "OK\x00"})

    assert response.status_code == 200
    assert messages_of(response) == [
        "Nothing was changed: The text holds a NUL character, which cannot be stored: type it again."
    ]
    assert snapshot(paid_order) == before


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1999-12-31"])
def test_ship_and_refund_dates_outside_the_sane_range_say_which_dates_work(admin_client, paid_order, day):
    before = snapshot(paid_order)
    refund = refund_data(admin_client.get(url("refund", paid_order)), refund_date=day, notes="n")

    for name, data in (("ship", ship_data(ship_date=day)), ("refund", refund)):
        response = post(admin_client, name, paid_order, data)
        assert "Enter a date from 01/01/2000 to " in response.content.decode()
    assert snapshot(paid_order) == before


def test_release_hold_is_post_only(admin_client, paid_order):
    assert admin_client.get(url("release_hold", paid_order)).status_code == 405


def test_resolve_problem_and_add_note(admin_client, paid_order):
    refused = post(admin_client, "resolve_problem", paid_order, {"text": "Nothing to do"})
    assert "The order is not a Problem Order." in messages_of(refused)
    Order.objects.filter(pk=paid_order.pk).update(status=OrderStatus.PROBLEM)

    post(admin_client, "resolve_problem", paid_order, {"text": "Parcel found at the depot"})
    response = post(admin_client, "add_note", paid_order, {"text": "Customer called <b>twice</b>"})

    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.IN_PROCESS
    html = response.content.decode()
    assert "Problem resolved: Parcel found at the depot" in html
    assert "Customer called &lt;b&gt;twice&lt;/b&gt;" in html


def test_edit_shipping_address_until_shipped(admin_client, paid_order):
    address = {
        "first_name": "Hélène",
        "line1": "12 quai Perrache",
        "postal_code": "69002",
        "city": "Lyon",
        "country_code": "FR",
    }

    response = post(admin_client, "edit_address", paid_order, address)

    paid_order.refresh_from_db()
    assert paid_order.shipping_address["line1"] == "12 quai Perrache"
    assert paid_order.shipping_address_edited_at is not None
    assert "12 quai Perrache" in response.content.decode()

    post(admin_client, "ship", paid_order, ship_data())
    before = snapshot(paid_order)
    response = post(admin_client, "edit_address", paid_order, {**address, "line1": "1 rue Neuve"})
    assert "The order has shipped: its shipping address can no longer change." in messages_of(response)
    assert snapshot(paid_order) == before


# --- Permissions and isolation ----------------------------------------------------------------


def employee_client(client, company, **grants):
    employee = UserFactory()
    MembershipFactory(user=employee, company=company, **grants)
    client.force_login(employee)
    return client


def test_without_refund_permission_refund_is_absent_and_refused(client, paid_order):
    employee_client(client, paid_order.company, can_process_orders=True, can_cancel_orders=True)
    before = snapshot(paid_order)

    page = client.get(url("detail", paid_order)).content.decode()
    response = client.post(url("refund", paid_order), {"amount": "1", "notes": "n"})

    assert "Issue Refund" not in page
    assert response.status_code == 403
    assert client.get(url("refund", paid_order)).status_code == 403
    assert snapshot(paid_order) == before


def test_without_process_permission_ship_accept_and_hold_are_absent_and_refused(client, paid_order):
    Order.objects.filter(pk=paid_order.pk).update(channel_status="WaitingAcceptance")
    employee_client(client, paid_order.company, can_issue_refunds=True, can_cancel_orders=True)
    before = snapshot(paid_order)

    page = client.get(url("detail", paid_order)).content.decode()

    for label in ("Ship Order", "Accept Order", "Refuse Order", "Set On Hold", "Release Hold", "Add Note"):
        assert label not in page
    assert "Issue Refund" in page and "Set Cancelled Internally" in page
    for name in ("ship", "accept", "refuse", "hold", "release_hold", "resolve_problem", "add_note", "edit_address"):
        assert client.post(url(name, paid_order), ship_data(reason="x", text="x")).status_code == 403, name
    assert snapshot(paid_order) == before


def test_another_companys_order_is_404_for_every_url(client, paid_order):
    employee_client(
        client,
        CompanyFactory(),
        can_process_orders=True,
        can_cancel_orders=True,
        can_issue_refunds=True,
    )
    before = snapshot(paid_order)

    assert client.get(url("detail", paid_order)).status_code == 404
    for name in ACTION_NAMES:
        assert client.post(url(name, paid_order), ship_data(reason="x", text="x")).status_code == 404, name
        if name not in ("accept", "refuse", "release_hold"):
            assert client.get(url(name, paid_order)).status_code == 404, name
    assert snapshot(paid_order) == before


def test_actions_need_csrf(client_admin, paid_order):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(client_admin)

    assert strict.post(url("cancel", paid_order), {"reason": "x"}).status_code == 403
    assert Order.objects.get(pk=paid_order.pk).status == OrderStatus.IN_PROCESS


# --- Who wins: a cancel racing a download (SPEC S5) -------------------------------------------

RECORDED = json.loads((Path(__file__).parents[1] / "fixtures/cdiscount/connector_order.json").read_text())


def test_cancel_then_a_download_that_sees_it_shipped_makes_a_problem_order(admin_client):
    # given an order downloaded InPreparation
    account = CdiscountAccountFactory()
    raw = copy.deepcopy(RECORDED)
    raw.update(status="InPreparation", updatedAt="2026-09-02T09:20:00+00:00")
    raw["lines"][0]["status"] = "InPreparation"
    raw["lines"][0]["parcels"] = []
    order_upsert_from_cdiscount(account=account, cd_order=parse_order(raw), raw=raw)
    order = Order.objects.get(channel_order_id=raw["orderId"])

    # when a user cancels it through the page, and then a download sees it Shipped
    post(admin_client, "cancel", order, {"reason": "Customer asked by phone"})
    shipped = copy.deepcopy(RECORDED)
    shipped.update(status="Shipped", updatedAt="2026-09-03T09:20:00+00:00")
    shipped["lines"][0]["status"] = "Shipped"
    order_upsert_from_cdiscount(account=account, cd_order=parse_order(shipped), raw=shipped)

    # then the order needs a human: Problem Order with a note, shown on the page
    order.refresh_from_db()
    assert order.status == OrderStatus.PROBLEM
    html = admin_client.get(url("detail", order)).content.decode()
    assert "Problem Order" in html
    assert order.events.filter(kind__in=[EventKind.PROBLEM, EventKind.STATUS, EventKind.CHANNEL]).exists()
    assert "Resolve Problem" in html
