"""Import Tracking (SPEC S8): each CSV row is a Ship Order with the same rules; a bad row changes
nothing and does not stop the others; orders outside the user's companies are not found."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from orders.choices import OrderStatus, PaymentStatus, ShippingStatus, UploadStatus
from orders.holds import order_hold
from orders.models import Order, OrderEvent, Package
from orders.services import TRACKING_NUMBER_INVALID, TRACKING_URL_INVALID
from orders.tracking_import import MAX_BYTES, RowOutcome, TrackingImportError
from orders.tracking_import_jobs import tracking_import
from tests.factories import CdiscountAccountFactory, CompanyFactory, MembershipFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    return CompanyFactory()


@pytest.fixture
def clerk(company):
    """An employee who may process the orders of `company` only."""
    user = UserFactory()
    MembershipFactory(user=user, company=company, can_process_orders=True)
    return user


def paid(company, **fields) -> Order:
    return OrderFactory(company=company, payment_status=PaymentStatus.CHARGED, **fields)


def csv_bytes(text: str, *, bom: bool = False, encoding: str = "utf-8") -> bytes:
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


def state(order: Order) -> tuple:
    order.refresh_from_db()
    return (order.status, order.shipping_status, order.packages.count(), order.events.count())


def test_semicolons_a_bom_channel_ids_and_french_dates_ship_each_order(company, clerk):
    # given two Cdiscount orders, the account's upload on
    CdiscountAccountFactory(company=company, upload_enabled=True)
    first, second = paid(company), paid(company)
    today = timezone.localdate()
    text = (
        "Channel Order ID;Carrier;Tracking Number;Ship Date\r\n"
        f"{first.channel_order_id};Colissimo;6A0001;{today:%d/%m/%Y}\r\n"
        f"{second.channel_order_id};DPD;DPD0002;{today.isoformat()}\r\n"
    )

    # when
    report = tracking_import(file=csv_bytes(text, bom=True), user=clerk)

    # then each row is a Ship Order: Completed, Fully Shipped, a Pending package, an event by the user
    assert [(r.row, r.order_id, r.outcome) for r in report.rows] == [
        (2, first.pk, RowOutcome.SHIPPED),
        (3, second.pk, RowOutcome.SHIPPED),
    ]
    assert report.rows[0].message == "Shipped with Colissimo 6A0001: tracking waits for upload to Cdiscount"
    assert (report.shipped, report.errors) == (2, 0)
    for order, number in ((first, "6A0001"), (second, "DPD0002")):
        order.refresh_from_db()
        assert (order.status, order.shipping_status) == (OrderStatus.COMPLETED, ShippingStatus.FULLY_SHIPPED)
        package = order.packages.get()
        assert (package.tracking_number, package.ship_date, package.upload_status) == (
            number,
            today,
            UploadStatus.PENDING,
        )
        assert OrderEvent.objects.filter(order=order, user=clerk).exists()


def test_commas_order_ids_optional_columns_and_a_blank_date_meaning_today(company, clerk):
    order = paid(company)
    text = (
        "order_id,carrier,tracking #,ship date,service,tracking url,shipping cost\n"
        f'{order.pk},Colissimo,6A0003,,Domicile,https://www.laposte.fr/suivi?code=6A0003,"4,90"\n'
        "\n"  # a blank line is ignored
    )

    report = tracking_import(file=io.BytesIO(csv_bytes(text)), user=clerk)

    assert [(r.row, r.outcome) for r in report.rows] == [(2, RowOutcome.SHIPPED)]
    package = order.packages.get()
    assert (package.service, package.tracking_url, str(package.shipping_cost)) == (
        "Domicile",
        "https://www.laposte.fr/suivi?code=6A0003",
        "4.90",
    )
    assert package.ship_date == timezone.localdate()
    assert package.upload_status == UploadStatus.NOT_REQUIRED  # upload off for the account


def test_a_tracking_url_that_is_not_http_is_a_bad_row(company, clerk):
    order = paid(company)
    text = f"order_id,carrier,tracking number,tracking url\n{order.pk},Colissimo,6A0004,javascript:alert(1)\n"

    report = tracking_import(file=io.BytesIO(csv_bytes(text)), user=clerk)

    assert [(r.row, r.outcome, r.message) for r in report.rows] == [(2, RowOutcome.ERROR, TRACKING_URL_INVALID)]
    assert not order.packages.exists()


def test_a_bad_row_changes_nothing_and_the_others_go_on(company, clerk):
    # given good orders around bad rows of every kind
    good_1, good_2 = paid(company), paid(company)
    spaced, on_hold, canceled, unpaid, future = (paid(company) for _ in range(5))
    Order.objects.filter(pk=unpaid.pk).update(payment_status=PaymentStatus.NO_PAYMENT)
    order_hold(order=on_hold, reason="Check the address", by=clerk)
    Order.objects.filter(pk=canceled.pk).update(status=OrderStatus.CANCELED)
    tomorrow = timezone.localdate() + timedelta(days=1)
    before = {o.pk: state(o) for o in (spaced, on_hold, canceled, unpaid, future)}
    text = "\n".join(
        [
            "Order ID;Carrier;Tracking Number;Ship Date",
            f"{good_1.pk};Colissimo;6A0010;",
            f"{spaced.pk};Colissimo;6A 0011;",
            f"{on_hold.pk};Colissimo;6A0012;",
            f"{canceled.pk};Colissimo;6A0013;",
            f"{unpaid.pk};Colissimo;6A0014;",
            f"{future.pk};Colissimo;6A0015;{tomorrow.isoformat()}",
            f"{future.pk};Colissimo;6A0016;31/02/2026",
            "999999999;Colissimo;6A0017;",
            f"{good_1.pk};Colissimo;6A0018;",  # the same order twice: the second is refused
            f"{good_2.pk};;6A0019;",
            f"{good_2.pk};Colissimo;6A0020;",
        ]
    )

    report = tracking_import(file=csv_bytes(text), user=clerk)

    outcomes = [(r.row, r.outcome) for r in report.rows]
    assert outcomes == [(2, "shipped")] + [(n, "error") for n in range(3, 12)] + [(12, "shipped")]
    messages = {r.row: r.message for r in report.rows}
    assert messages[3] == TRACKING_NUMBER_INVALID
    assert messages[4] == "The order is On Hold: release the hold first."
    assert messages[5] == "The order is Canceled: it cannot be shipped."
    assert messages[6] == "The order is not paid: ship it once its payment has arrived."
    assert messages[7] == "Ship date cannot be in the future."
    assert "is not a date" in messages[8]
    assert messages[9] == "Order 999999999 not found."
    assert "already has a package" in messages[10]
    assert messages[11] == "Carrier is required."
    for order in (spaced, on_hold, canceled, unpaid, future):
        assert state(order) == before[order.pk]
    assert Package.objects.count() == 2


COST_MESSAGE = "Shipping cost must be an amount such as 12.50 (at most 10 digits before the decimal point and 2 after)."


def test_a_shipping_cost_its_column_cannot_hold_is_a_row_error_that_changes_nothing(company, clerk):
    # given one order per bad cost, and good rows: a French comma, "1 234,5 €" as Excel writes it, the largest
    bad_costs = ["99999999999", "1E1", "1e5", "\u0661\u0662", "\u00b2", "12.345", "NaN", "Infinity", "-5"]
    bad = [paid(company) for _ in bad_costs]
    good = [paid(company) for _ in range(3)]
    before = {o.pk: state(o) for o in bad}
    rows = [f"{o.pk};Colissimo;6A{i:04};;{cost}" for i, (o, cost) in enumerate(zip(bad, bad_costs, strict=True))]
    rows += [
        f"{o.pk};Colissimo;6B{i:04};;{cost}"
        for i, (o, cost) in enumerate(zip(good, ["4,90", "1\u00a0234,5 \u20ac", "9999999999.99"], strict=True))
    ]
    text = "\n".join(["Order ID;Carrier;Tracking Number;Ship Date;Shipping Cost", *rows])

    # when
    report = tracking_import(file=csv_bytes(text), user=clerk)

    # then each bad row is reported with the message and nothing of it applied; the others ship
    assert [r.outcome for r in report.rows] == [RowOutcome.ERROR] * len(bad) + [RowOutcome.SHIPPED] * len(good)
    messages = [r.message for r in report.rows[: len(bad)]]
    assert messages == [COST_MESSAGE] * (len(bad) - 1) + ["Shipping cost cannot be negative."]
    assert {o.pk: state(o) for o in bad} == before
    assert [str(o.packages.get().shipping_cost) for o in good] == ["4.90", "1234.50", "9999999999.99"]


def test_orders_of_other_companies_are_not_found(company, clerk):
    # given an order of another company, and one where the clerk may only view orders
    elsewhere = paid(CompanyFactory())
    view_only_company = CompanyFactory()
    MembershipFactory(user=clerk, company=view_only_company, can_process_orders=False)
    view_only = paid(view_only_company)
    mine = paid(company)
    text = (
        "Order ID,Channel Order ID,Carrier,Tracking Number,Ship Date\n"
        f"{elsewhere.pk},,Colissimo,6A0030,\n"
        f",{elsewhere.channel_order_id},Colissimo,6A0031,\n"
        f"{view_only.pk},,Colissimo,6A0032,\n"
        f"{mine.pk},,Colissimo,6A0033,\n"
    )

    report = tracking_import(file=csv_bytes(text), user=clerk)

    assert [r.message for r in report.rows[:3]] == [
        f"Order {elsewhere.pk} not found.",
        f"Order {elsewhere.channel_order_id} not found.",
        f"Order {view_only.pk} not found.",
    ]
    assert report.rows[3].outcome == RowOutcome.SHIPPED
    assert not elsewhere.packages.exists() and not view_only.packages.exists()

    # a Client Admin processes every company's orders
    admin = UserFactory(is_client_admin=True)
    text = f"Order ID,Carrier,Tracking Number,Ship Date\n{elsewhere.pk},Colissimo,6A0034,\n"
    assert tracking_import(file=csv_bytes(text), user=admin).shipped == 1


def test_windows_1252_from_excel_is_read(company, clerk):
    order = paid(company)
    text = f"N° de commande;Transporteur;N° de suivi;Date expédition\n{order.pk};Colissimo;6A0040;\n"

    report = tracking_import(file=csv_bytes(text, encoding="cp1252"), user=clerk)

    assert report.shipped == 1


@pytest.mark.parametrize(
    "data, message",
    [
        (b"PK\x03\x04\x14\x00\x06\x00binary xlsx", "This is not a CSV file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not a CSV file"),
        (b"", "The file is empty."),
        (b"Name,Address,City\nJeanne,1 rue,Lyon\n", "The first row must be a header with the columns"),
        (b"6A0001;Colissimo;2026-01-01\n", "The first row must be a header with the columns"),
    ],
)
def test_a_file_that_is_not_a_csv_of_shipments_is_refused_whole(company, clerk, data, message):
    order = paid(company)

    with pytest.raises(TrackingImportError, match=message):
        tracking_import(file=data, user=clerk)

    assert not order.packages.exists()


def test_a_file_over_2_mb_is_refused(company, clerk):
    big = b"Order ID,Carrier,Tracking Number,Ship Date\n" + b"1,Colissimo,6A0001,\n" * (MAX_BYTES // 20 + 10)

    with pytest.raises(TrackingImportError, match="too large"):
        tracking_import(file=big, user=clerk)
    with pytest.raises(TrackingImportError, match="at most 2 MB"):
        tracking_import(file=SimpleUploadedFile("t.csv", big, content_type="text/csv"), user=clerk)
    assert not Package.objects.exists()


# Points 1 and 5 of issue 14: odd input gets a message for people, never a 500 nor internal text.

INTERNAL_TEXT = ("invalid literal", "<class", "Could not ship:", "character varying", "overflow", "Traceback")


@pytest.mark.parametrize("data", [b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n", b"\xef\xbb\xbf \r\n\t\r\n"])
def test_a_file_that_is_only_a_bom_is_refused_as_empty(company, clerk, data):
    order = paid(company)
    before = state(order)

    with pytest.raises(TrackingImportError, match="^The file is empty.$"):
        tracking_import(file=data, user=clerk)

    assert state(order) == before and not Package.objects.exists()


def other_digits(number: int, zero: str) -> str:
    """`number` written with the ten digits that start at `zero` (Arabic-Indic, fullwidth ...)."""
    return "".join(chr(ord(zero) + int(d)) for d in str(number))


def test_an_order_id_in_digits_other_than_0_to_9_is_not_an_order_id(company, clerk):
    # given an order, and its id written in Arabic-Indic and fullwidth digits, a superscript, a
    # number past bigint: str.isdigit() takes them all, int() reads the first two as the id
    order = paid(company)
    before = state(order)
    refs = [other_digits(order.pk, "\u0660"), other_digits(order.pk, "\uff10"), "\u00b2", "\u2460", "9" * 20]
    text = "Order ID,Carrier,Tracking Number\n" + "".join(f"{ref},Colissimo,6A{i:04}\n" for i, ref in enumerate(refs))

    # when
    report = tracking_import(file=csv_bytes(text), user=clerk)

    # then no row names our order: each is looked up as a channel order id, and is not found
    expected = [(RowOutcome.ERROR, f"Order {ref} not found.") for ref in refs]
    assert [(r.outcome, r.message) for r in report.rows] == expected
    assert state(order) == before and not Package.objects.exists()


def test_values_the_package_cannot_hold_are_named_with_what_to_type(company, clerk):
    # given a carrier and a service over 100 characters, a tracking URL over 500
    orders = [paid(company) for _ in range(4)]
    before = {o.pk: state(o) for o in orders}
    long_url = "https://suivi.example.fr/" + "a" * 480
    text = "\n".join(
        [
            "Order ID,Carrier,Tracking Number,Ship Date,Service,Tracking URL",
            f"{orders[0].pk},{'C' * 101},6A0001,,,",
            f"{orders[1].pk},Colissimo,6A0002,,{'S' * 101},",
            f"{orders[2].pk},Colissimo,6A0003,,,{long_url}",
            f"{orders[3].pk},{'C' * 100},6A0004,,{'S' * 100},https://suivi.example.fr/6A0004",
        ]
    )

    # when
    report = tracking_import(file=csv_bytes(text), user=clerk)

    # then each too-long value is reported in words (not the database's), and only the last row ships
    assert [r.message for r in report.rows[:3]] == [
        "Carrier is at most 100 characters: shorten it.",
        "Service is at most 100 characters: shorten it.",
        "Tracking URL is at most 500 characters: shorten it.",
    ]
    assert report.rows[3].outcome == RowOutcome.SHIPPED
    assert {o.pk: state(o) for o in orders[:3]} == {o.pk: before[o.pk] for o in orders[:3]}
    assert Package.objects.count() == 1


def test_a_database_error_on_a_row_is_reported_without_its_text(company, clerk, monkeypatch):
    from django.db import DataError

    import orders.tracking_import as module

    # given the database refusing the first row's shipment, as PostgreSQL does a value too large
    first, second = paid(company), paid(company)
    real_ship = module.order_ship

    def ship(**kwargs):
        if kwargs["order"].pk == first.pk:
            raise DataError("numeric field overflow\nDETAIL:  A field with precision 12, scale 2 must round ...")
        return real_ship(**kwargs)

    monkeypatch.setattr(module, "order_ship", ship)
    text = f"Order ID,Carrier,Tracking Number\n{first.pk},Colissimo,6A0001\n{second.pk},Colissimo,6A0002\n"

    # when
    report = tracking_import(file=csv_bytes(text), user=clerk)

    # then the row says what to do, not what the database said; the next row still ships
    bad, good = report.rows
    assert bad.outcome == RowOutcome.ERROR and good.outcome == RowOutcome.SHIPPED
    assert "nothing was changed" in bad.message.lower()
    assert not any(text in bad.message for text in INTERNAL_TEXT), bad.message
    assert not first.packages.exists()


def test_a_row_the_csv_reader_cannot_read_is_reported_in_words(company, clerk):
    # given a row whose quote is never closed, so that its cell runs past the csv module's limit
    order, after = paid(company), paid(company)
    before = state(order)
    text = f'Order ID,Carrier,Tracking Number\n{order.pk},"Colissimo,6A0001\n' + "x" * 140_000 + "\n"
    text += f"{after.pk},Colissimo,6A0002\n"

    # when
    report = tracking_import(file=csv_bytes(text), user=clerk)

    # then that row says what to correct, not the reader's words, and nothing of it was applied
    bad = report.rows[0]
    assert (bad.row, bad.outcome) == (2, RowOutcome.ERROR)
    assert bad.message.startswith("This row cannot be read: a cell is far too long, or a quote")
    assert "field limit" not in bad.message
    assert state(order) == before
