"""Cancelled lines (SPEC S5, issue 17): they leave the order's totals, and what Cdiscount refunded
for them after its payment is recorded once, as a refund by the channel. On the recorded order
shape, with a second line added as Cdiscount writes one."""

import copy
import json
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from channels.cdiscount.parsing import parse_order
from channels.download.upsert import NewCandidate, order_upsert_from_cdiscount, orders_create_new, payload_sha256
from orders.choices import EventKind, PaymentStatus
from orders.corrections import correct_cancelled_lines
from orders.models import Order, OrderEvent, OrderItem, Payment, Refund
from orders.profit import order_profit_and_loss
from tests.factories import (
    CdiscountAccountFactory,
    MembershipFactory,
    OrderFactory,
    OrderItemFactory,
    PaymentFactory,
    UserFactory,
)
from tests.orders.test_export_csv import read_csv

pytestmark = pytest.mark.django_db

RECORDED = json.loads((Path(__file__).parents[1] / "fixtures/cdiscount/connector_order.json").read_text())
# Line A (recorded): 2 x 100.00 + 5.00 shipping. Line B (added): 1 x 19.99 + 2.99 shipping.
LINE_B = "EO7F"
A_AMOUNT, B_AMOUNT = Decimal("205.00"), Decimal("22.98")


def two_lines(status="InPreparation", *, b_status=None, updated="2026-09-02T09:20:00+00:00"):
    raw = copy.deepcopy(RECORDED)
    raw["status"], raw["updatedAt"] = status, updated
    first = raw["lines"][0]
    first["status"], first["parcels"] = status, []
    second = copy.deepcopy(first)
    second.update(orderLineId=LINE_B, quantity=1, status=b_status or status)
    second["offer"].update(id="OF2", sellerProductId="LIVRE-42", productTitle="Les Misérables")
    second["sellingPrice"].update(unitSalesPrice=19.99, shippingCost=2.99)
    second["offerPrice"].update(unitSalesPrice=19.99, shippingCost=2.99)
    second["offerPrice"]["commission"] = {"amountWithVat": 2.4, "amountWithoutVat": 2.0, "rate": 12}
    second["totalPrice"] = {"offerPrice": 19.99, "sellingPrice": 19.99}
    raw["lines"].append(second)
    # Cdiscount's order total counts every line, the cancelled one too.
    raw["totalPrice"] = {"offerPrice": 227.98, "sellingPrice": 227.98}
    return raw


def upsert(account, raw):
    return Order.objects.get(
        pk=order_upsert_from_cdiscount(account=account, cd_order=parse_order(raw), raw=raw).order_id
    )


@pytest.fixture
def account():
    return CdiscountAccountFactory(allow_unpaid_orders=False)


def company_today(order):
    return timezone.localdate(timezone=ZoneInfo(order.company.time_zone))


def test_a_line_cancelled_before_payment_is_listed_but_not_counted_and_the_payment_is_the_rest(account):
    order = upsert(account, two_lines(b_status="Cancelled"))

    assert (order.subtotal, order.shipping_total, order.grand_total) == (
        Decimal("200.00"),
        Decimal("5.00"),
        A_AMOUNT,
    )
    assert order.commission_with_vat == Decimal("12.00")  # the live line's commission only
    line_b = order.items.get(channel_line_id=LINE_B)
    assert line_b.cancelled and line_b.channel_line_status == "Cancelled"
    assert not order.items.get(channel_line_id="EO7E").cancelled
    assert order.payments.get().amount == A_AMOUNT
    assert order.payment_status == PaymentStatus.CHARGED
    assert not Refund.objects.exists()


def test_a_line_cancelled_after_payment_is_refunded_by_cdiscount_once(account):
    order = upsert(account, two_lines())
    assert order.grand_total == A_AMOUNT + B_AMOUNT and order.payments.get().amount == A_AMOUNT + B_AMOUNT

    later = two_lines(b_status="Cancelled", updated="2026-09-03T10:00:00+00:00")
    for _ in range(3):  # the same payload seen by three downloads
        order = upsert(account, later)
    order = upsert(account, copy.deepcopy(later) | {"updatedAt": "2026-09-03T11:00:00+00:00"})  # and a later one

    assert order.grand_total == A_AMOUNT and order.subtotal == Decimal("200.00")
    refund = Refund.objects.get()
    assert (refund.amount, refund.source, refund.user, refund.channel_key) == (B_AMOUNT, "Cdiscount", None, LINE_B)
    assert refund.payment == order.payments.get()
    assert refund.refund_date == company_today(order)
    assert order.payment_status == PaymentStatus.PARTIAL_REFUND
    event = order.events.get(kind=EventKind.REFUND)
    assert event.user is None and event.source == "Cdiscount"
    assert event.message == f"Refund of {B_AMOUNT} EUR by Cdiscount: line {LINE_B} (LIVRE-42) cancelled on Cdiscount"
    # Profit & Loss: paid 227.98, refunded 22.98, so the revenue kept is the grand total (20% VAT).
    pnl = order_profit_and_loss(order=Order.objects.get(pk=order.pk))
    assert pnl.revenue.incl_vat - pnl.refunds.incl_vat == order.grand_total
    assert pnl.profit == Decimal("189.98") - Decimal("19.15") - order.commission_without_vat


def test_a_whole_order_cancelled_after_payment_is_a_full_refund_by_cdiscount(account):
    upsert(account, two_lines())

    for _ in range(3):
        order = upsert(account, two_lines("Cancelled", updated="2026-09-03T10:00:00+00:00"))

    paid = order.payments.get().amount
    assert sum(r.amount for r in Refund.objects.all()) == paid
    assert set(Refund.objects.values_list("source", flat=True)) == {"Cdiscount"}
    assert order.payment_status == PaymentStatus.FULL_REFUND
    assert order.status == Order.Status.CANCELED
    assert order.grand_total == Decimal("0.00")  # every line cancelled
    pnl = order_profit_and_loss(order=Order.objects.get(pk=order.pk))
    assert pnl.revenue.incl_vat - pnl.refunds.incl_vat == Decimal("0.00")


def test_an_order_cancelled_with_its_lines_still_open_is_refunded_what_was_paid(account):
    upsert(account, two_lines())
    raw = two_lines(updated="2026-09-03T10:00:00+00:00")
    raw["status"] = "Cancelled"  # the order, not its lines

    order = upsert(account, raw)
    upsert(account, raw)

    refund = Refund.objects.get()
    assert (refund.channel_key, refund.amount) == ("order", A_AMOUNT + B_AMOUNT)
    assert order.payment_status == PaymentStatus.FULL_REFUND


def test_the_bulk_create_path_counts_only_the_live_lines(account):
    raw = two_lines(b_status="Refused")
    candidate = NewCandidate(cd_order=parse_order(raw), raw=raw, sha256=payload_sha256(raw))

    (result,) = orders_create_new(account=account, candidates=[candidate])

    order = Order.objects.get(pk=result.order_id)
    assert (order.subtotal, order.shipping_total, order.grand_total) == (Decimal("200.00"), Decimal("5.00"), A_AMOUNT)
    assert order.items.get(channel_line_id=LINE_B).cancelled
    assert order.payments.get().amount == A_AMOUNT


def test_the_correction_fixes_orders_downloaded_the_old_way_once():
    # As the download wrote them before: the cancelled line counted, and paid.
    order = OrderFactory(
        subtotal=Decimal("219.99"),
        shipping_total=Decimal("7.99"),
        grand_total=Decimal("227.98"),
        channel_status="InPreparation",
    )
    OrderItemFactory(
        order=order, channel_line_id="A", unit_price=Decimal("100.00"), quantity=2, shipping=Decimal("5.00")
    )
    OrderItemFactory(
        order=order,
        channel_line_id="B",
        sku="LIVRE-42",
        unit_price=Decimal("19.99"),
        quantity=1,
        shipping=Decimal("2.99"),
        channel_line_status="Cancelled",
    )
    PaymentFactory(order=order, operation_type="Cdiscount", reference="cd-1", amount=Decimal("227.98"))
    whole = OrderFactory(grand_total=Decimal("50.00"), subtotal=Decimal("50.00"), channel_status="Cancelled")
    OrderItemFactory(order=whole, channel_line_id="C", unit_price=Decimal("50.00"), quantity=1)
    PaymentFactory(order=whole, operation_type="Cdiscount", reference="cd-2", amount=Decimal("50.00"))
    untouched = OrderFactory(grand_total=Decimal("10.00"))

    assert correct_cancelled_lines(apps) == 2
    assert correct_cancelled_lines(apps) == 0  # idempotent

    order.refresh_from_db()
    assert (order.subtotal, order.shipping_total, order.grand_total) == (Decimal("200.00"), Decimal("5.00"), A_AMOUNT)
    assert OrderItem.objects.get(order=order, channel_line_id="B").cancelled
    refund = Refund.objects.get(order=order)
    assert (refund.amount, refund.channel_key, refund.source) == (B_AMOUNT, "B", "Cdiscount")
    assert order.payment_status == PaymentStatus.PARTIAL_REFUND
    assert OrderEvent.objects.filter(order=order, kind=EventKind.REFUND, source="Cdiscount").count() == 1
    whole.refresh_from_db()
    assert Refund.objects.get(order=whole).amount == Decimal("50.00")
    assert whole.payment_status == PaymentStatus.FULL_REFUND
    assert not Refund.objects.filter(order=untouched).exists()
    assert Payment.objects.count() == 2


def test_the_page_the_grid_and_the_csv_export_carry_the_same_grand_total(client, account):
    upsert(account, two_lines())
    order = upsert(account, two_lines(b_status="Cancelled", updated="2026-09-03T10:00:00+00:00"))
    user = UserFactory()
    MembershipFactory(user=user, company=order.company, can_view_orders=True)
    client.force_login(user)

    details = client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    grid = client.get(reverse("orders:list"), {"q": order.channel_order_id}).content.decode()
    header, row = read_csv(client.post(reverse("orders:bulk"), {"action": "export_csv", "ids": [order.pk]}))

    assert f'data-testid="grand-total"><strong>{A_AMOUNT} EUR' in details
    assert f"{A_AMOUNT} €" in grid and f"{A_AMOUNT + B_AMOUNT}" not in grid
    assert row[header.index("Grand Total")] == str(A_AMOUNT)


def test_a_cancellation_request_accepted_after_payment_releases_the_hold_and_refunds_the_line(account):
    upsert(account, two_lines())
    held = upsert(account, two_lines(b_status="CancelRequest", updated="2026-09-03T10:00:00+00:00"))
    assert held.status == Order.Status.ON_HOLD and held.grand_total == A_AMOUNT + B_AMOUNT  # still to ship

    order = upsert(account, two_lines(b_status="Cancelled", updated="2026-09-04T10:00:00+00:00"))

    assert order.status == Order.Status.IN_PROCESS and order.grand_total == A_AMOUNT
    assert Refund.objects.get().amount == B_AMOUNT and order.payment_status == PaymentStatus.PARTIAL_REFUND
    release = order.events.get(kind=EventKind.RELEASE)
    assert release.message == (
        f"Hold released: back to In Process. Cdiscount accepted the cancellation request: line {LINE_B} cancelled."
    )


def test_a_business_order_keeps_cdiscounts_flag_and_the_buyers_vat_number(account):
    raw = two_lines()
    raw["businessOrder"] = True
    raw["billingAddress"].update(companyName="Hôtel Beauséjour SARL", companyVatNumber="FR12345678901")

    order = upsert(account, raw)

    assert order.business_order and order.buyer_vat_number == "FR12345678901"
    assert not upsert(CdiscountAccountFactory(allow_unpaid_orders=False), two_lines()).business_order
