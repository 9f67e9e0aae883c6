"""RMA services (issue 22): each rule, each bad input refused with a message and nothing changed."""

import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.channel_registry import adapter_for
from orders.choices import EventKind, OrderStatus, PaymentStatus, ShippingStatus, UploadStatus
from orders.models import RMA, OrderEvent, Refund
from orders.profit import order_profit_and_loss
from orders.rma.reasons import return_reason_add, return_reason_set_hidden, return_reasons
from orders.rma.services import (
    ReturnLine,
    rma_cancel,
    rma_close,
    rma_create,
    rma_hold,
    rma_release,
    rma_set_resolution,
)
from orders.rma_choices import DEFAULT_RETURN_REASONS, ReceivedStatus, RMAStatus
from orders.rma_values import rma_refund_suggestion
from orders.services import OrderRuleError, order_ship, refund_issue
from tests.factories import OrderFactory, OrderItemFactory, UserFactory

from .rma_helpers import create, item, receive, shipped_order, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def order():
    return shipped_order()


def refused(call, match):
    """`call` is refused with a message matching `match`, and the database is unchanged."""
    before = snapshot()
    with pytest.raises(OrderRuleError, match=match):
        call()
    assert snapshot() == before


# --- Create RMA -----------------------------------------------------------------------------------


def test_create_numbers_per_company_and_records_the_event(order, user):
    first = create(order, user, ("LAMP-1", 1), description="Pied cassé", channel_reference="RET-77")
    second = create(order, user, ("SHADE-1", 1, "Wrong item"))
    other_company = create(shipped_order(), user, ("LAMP-1", 2))

    assert (first.number, second.number, other_company.number) == ("RMA-000001", "RMA-000002", "RMA-000001")
    assert first.status == RMAStatus.OPEN and first.received_status == ReceivedStatus.NOT_RECEIVED
    assert (first.description, first.channel_reference) == ("Pied cassé", "RET-77")
    assert list(second.items.values_list("reason", "quantity")) == [("Wrong item", 1)]
    event = OrderEvent.objects.filter(order=order, kind=EventKind.RMA).first()
    assert event.message == "RMA-000002 created: 1 x SHADE-1 (Wrong item)"
    assert event.data["rma_id"] == second.pk


def test_returning_more_than_shipped_is_refused(order, user):
    refused(
        lambda: create(order, user, ("LAMP-1", 3)), r"Qty to Return of LAMP-1 \(3\) is more than can be returned \(2"
    )


def test_what_is_on_an_rma_not_cancelled_cannot_be_returned_again(order, user):
    first = create(order, user, ("LAMP-1", 2))
    refused(lambda: create(order, user, ("LAMP-1", 1)), r"more than can be returned \(0")
    rma_cancel(rma=first, by=user)

    assert create(order, user, ("LAMP-1", 2)).items.get().quantity == 2


def test_an_unshipped_or_cancelled_order_has_nothing_to_return(user):
    unshipped = OrderFactory()
    OrderItemFactory(order=unshipped, sku="LAMP-1")
    cancelled = shipped_order(status=OrderStatus.CANCELED)

    refused(lambda: create(unshipped, user, ("LAMP-1", 1)), "has not shipped")
    refused(lambda: create(cancelled, user, ("LAMP-1", 1)), "Canceled: there is nothing to return")


@pytest.mark.parametrize(
    ("lines", "reason_for_all", "match"),
    [
        ([], "Damaged", "Tick at least one item"),
        ([("LAMP-1", 0)], "Damaged", "must be at least 1"),
        ([("LAMP-1", -1)], "Damaged", "must be at least 1"),
        ([("LAMP-1", 1)], "", "Choose a Reason for LAMP-1"),
        ([("LAMP-1", 1, "Bored")], "", "“Bored” is not one of the company's return reasons"),
        ([("LAMP-1", 1), ("LAMP-1", 1)], "Damaged", "Each item is listed once"),
    ],
)
def test_bad_lines_are_refused(order, user, lines, reason_for_all, match):
    refused(lambda: create(order, user, *lines, reason_for_all=reason_for_all), match)


def test_an_item_of_another_order_is_refused(order, user):
    stranger = shipped_order().items.first()
    refused(
        lambda: rma_create(order=order, by=user, lines=[ReturnLine(stranger.pk, 1)], reason_for_all="Damaged"),
        "not on this order",
    )


def test_reasons_are_seeded_kept_per_company_and_hidden_ones_are_refused(order, user):
    assert [r.name for r in return_reasons(order.company)] == list(DEFAULT_RETURN_REASONS)
    return_reason_add(company=order.company, name="Arrived late")
    with pytest.raises(OrderRuleError, match="already in the list"):
        return_reason_add(company=order.company, name="arrived  LATE")
    damaged = next(r for r in return_reasons(order.company) if r.name == "Damaged")
    return_reason_set_hidden(company=order.company, reason_id=damaged.pk, hidden=True)

    assert "Arrived late" in [r.name for r in return_reasons(order.company)]
    refused(lambda: create(order, user, ("LAMP-1", 1), reason_for_all="Damaged"), "not one of the company's")


# --- Receive Return -------------------------------------------------------------------------------


def test_receiving_moves_the_received_status_apart_from_the_status(order, user):
    rma = create(order, user, ("LAMP-1", 2), ("SHADE-1", 1))

    rma = receive(rma, user, "LAMP-1", 1, "damaged")
    assert (rma.status, rma.received_status) == (RMAStatus.OPEN, ReceivedStatus.PARTIALLY_RECEIVED)
    receive(rma, user, "LAMP-1", 1)
    rma = receive(rma, user, "SHADE-1", 1, "missing_parts")

    assert (rma.status, rma.received_status) == (RMAStatus.OPEN, ReceivedStatus.RECEIVED)
    assert list(rma.items.values_list("received_quantity", "condition")) == [(2, "sellable"), (1, "missing_parts")]


def test_receiving_more_than_expected_or_bad_input_is_refused(order, user):
    rma = create(order, user, ("LAMP-1", 2))
    receive(rma, user, "LAMP-1", 1)

    refused(lambda: receive(rma, user, "LAMP-1", 2), r"\(2\) is more than expected \(1 still expected\)")
    refused(lambda: receive(rma, user, "LAMP-1", 1, "broken"), "Choose the condition")
    refused(lambda: receive(rma, user, "LAMP-1", 0), "at least one item")
    receive(rma, user, "LAMP-1", 1)
    refused(lambda: receive(rma, user, "LAMP-1", 1), "Everything expected")


# --- Resolutions, hold, close, cancel -------------------------------------------------------------


def test_a_resolution_on_a_cancelled_rma_is_refused(order, user):
    rma = create(order, user, ("LAMP-1", 1))
    rma_cancel(rma=rma, by=user)
    ids = [rma.items.get().pk]

    refused(lambda: rma_set_resolution(rma=rma, by=user, item_ids=ids, resolution="refund"), "Cancelled")


def test_resolution_bad_input_is_refused(order, user):
    rma = create(order, user, ("LAMP-1", 1))
    ids = [rma.items.get().pk]

    refused(lambda: rma_set_resolution(rma=rma, by=user, item_ids=ids, resolution="burn"), "from the list")
    refused(lambda: rma_set_resolution(rma=rma, by=user, item_ids=[], resolution="refund"), "Tick the items")
    refused(lambda: rma_set_resolution(rma=rma, by=user, item_ids=[0], resolution="refund"), "Tick the items")


def test_close_is_refused_while_an_item_is_not_decided(order, user):
    rma = create(order, user, ("LAMP-1", 1), ("SHADE-1", 1))
    lamp = rma.items.get(order_item__sku="LAMP-1")
    rma_set_resolution(rma=rma, by=user, item_ids=[lamp.pk], resolution="reject", comment="Usé")

    refused(lambda: rma_close(rma=rma, by=user), "SHADE-1 is Not Decided")
    shade = rma.items.get(order_item__sku="SHADE-1")
    rma_set_resolution(rma=rma, by=user, item_ids=[shade.pk], resolution="repair")
    assert rma_close(rma=rma, by=user).status == RMAStatus.CLOSED
    refused(lambda: rma_hold(rma=rma, by=user), "Closed: nothing more")


def test_hold_remembers_the_status_and_blocks_work_until_release(order, user):
    rma = create(order, user, ("LAMP-1", 1))
    rma = rma_hold(rma=rma, by=user, note="Attente photos")

    assert (rma.status, rma.status_before_hold) == (RMAStatus.ON_HOLD, RMAStatus.OPEN)
    refused(lambda: receive(rma, user, "LAMP-1", 1), "On Hold: release it first")
    refused(lambda: rma_hold(rma=rma, by=user), "already On Hold")
    rma = rma_release(rma=rma, by=user)
    assert (rma.status, rma.status_before_hold) == (RMAStatus.OPEN, "")
    refused(lambda: rma_release(rma=rma, by=user), "not On Hold")


def test_cancel_is_refused_once_anything_was_received(order, user):
    rma = create(order, user, ("LAMP-1", 2))
    receive(rma, user, "LAMP-1", 1)

    refused(lambda: rma_cancel(rma=rma, by=user), "were received: it cannot be cancelled")


# --- Refund from an RMA ---------------------------------------------------------------------------


def rma_refund(order, user, rma, amount):
    return refund_issue(
        order=order,
        by=user,
        payment=order.payments.get(),
        amount=Decimal(amount),
        refund_date=timezone.localdate(),
        notes=f"Retour {rma.number}",
        form_token=uuid.uuid4(),
        reference_number=rma.number,
        rma=rma,
    )


def test_a_refund_from_an_rma_is_its_items_value_and_shows_on_payment_status_and_profit(order, user):
    rma = create(order, user, ("LAMP-1", 1))
    rma_set_resolution(rma=rma, by=user, item_ids=[rma.items.get().pk], resolution="refund")
    assert rma_refund_suggestion(RMA.objects.get(pk=rma.pk)) == Decimal("49.90")

    refund = rma_refund(order, user, rma, "49.90")

    order.refresh_from_db()
    assert refund.rma == rma and order.payment_status == PaymentStatus.PARTIAL_REFUND
    assert order_profit_and_loss(order=order).refunds.incl_vat == Decimal("49.90")
    assert "from RMA-000001" in OrderEvent.objects.filter(order=order, kind=EventKind.REFUND).get().message
    assert rma_refund_suggestion(RMA.objects.get(pk=rma.pk)) == Decimal("0.00")


def test_withdrawal_within_14_days_adds_the_items_share_of_shipping(order, user):
    rma = create(order, user, ("LAMP-1", 1, "Withdrawal within 14 days"), reason_for_all="")
    rma_set_resolution(rma=rma, by=user, item_ids=[rma.items.get().pk], resolution="refund")

    assert rma_refund_suggestion(RMA.objects.get(pk=rma.pk)) == Decimal("52.40")  # 49.90 + 5.00 / 2


def test_a_refund_above_what_the_rmas_items_are_worth_is_refused(order, user):
    rma = create(order, user, ("LAMP-1", 1))
    rma_set_resolution(rma=rma, by=user, item_ids=[rma.items.get().pk], resolution="refund")

    refused(lambda: rma_refund(order, user, rma, "49.91"), "more than what RMA-000001's items are worth")
    rma_refund(order, user, rma, "40.00")
    refused(lambda: rma_refund(order, user, rma, "10.00"), r"9.90 EUR still refundable on this RMA")


def test_a_refund_needs_a_refund_resolution_and_an_rma_of_the_order(order, user):
    rma = create(order, user, ("LAMP-1", 1))
    refused(lambda: rma_refund(order, user, rma, "10.00"), "No item of this RMA has the resolution Refund")
    rma_set_resolution(rma=rma, by=user, item_ids=[rma.items.get().pk], resolution="refund")
    other = shipped_order()

    refused(lambda: rma_refund(other, user, rma, "10.00"), "belongs to another order")


# --- Replace / Exchange ---------------------------------------------------------------------------


def test_replace_before_receipt_is_refused(order, user):
    rma = create(order, user, ("LAMP-1", 1))
    ids = [rma.items.get().pk]

    refused(lambda: rma_set_resolution(rma=rma, by=user, item_ids=ids, resolution="replace"), "Receive the return")


def test_replace_creates_a_free_replacement_order_linked_both_ways_that_ships_unpaid(order, user):
    rma = create(order, user, ("LAMP-1", 2))
    receive(rma, user, "LAMP-1", 2)

    [replacement] = rma_set_resolution(
        rma=rma, by=user, item_ids=[rma.items.get().pk], resolution="replace", comment="Neuf"
    )

    replacement.refresh_from_db()
    assert replacement.replacement_of == order and list(order.replacements.all()) == [replacement]
    assert rma.items.get().replacement_order == replacement
    assert (replacement.channel, replacement.channel_account) == (order.channel, None)
    assert (replacement.customer_name, replacement.shipping_address) == (order.customer_name, order.shipping_address)
    assert (replacement.subtotal, replacement.grand_total) == (Decimal("99.80"), Decimal("0.00"))
    line = replacement.items.get()
    assert (line.sku, line.quantity, line.discount) == ("LAMP-1", 2, Decimal("99.80"))
    assert replacement.payment_status == PaymentStatus.NO_PAYMENT
    assert OrderEvent.objects.filter(kind=EventKind.REPLACEMENT).count() == 2

    package = order_ship(
        order=replacement, by=user, carrier="Colissimo", tracking_number="6A99", ship_date=timezone.localdate()
    )
    replacement.refresh_from_db()
    assert package.upload_status == UploadStatus.NOT_REQUIRED
    assert adapter_for(replacement).actions == ()  # the channel's label, none of its actions
    assert replacement.shipping_status == ShippingStatus.FULLY_SHIPPED
    refused(
        lambda: rma_set_resolution(rma=rma, by=user, item_ids=[rma.items.get().pk], resolution="refund"),
        "already has its replacement order",
    )


def test_exchange_sends_the_sku_typed_and_needs_one(order, user):
    rma = create(order, user, ("SHADE-1", 1))
    receive(rma, user, "SHADE-1", 1)
    ids = [rma.items.get().pk]
    refused(lambda: rma_set_resolution(rma=rma, by=user, item_ids=ids, resolution="exchange"), "Type the SKU")

    [replacement] = rma_set_resolution(rma=rma, by=user, item_ids=ids, resolution="exchange", exchange_sku="SHADE-2")

    assert replacement.items.get().sku == "SHADE-2" and replacement.grand_total == Decimal("0.00")
    assert Refund.objects.count() == 0
    assert item(order, "SHADE-1").rma_items.get().exchange_sku == "SHADE-2"
