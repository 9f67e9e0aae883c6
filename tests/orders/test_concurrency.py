"""On PostgreSQL: concurrency guarantees that rest on the database (constraints, row locks)."""

import threading
import uuid
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from orders.models import Order, Refund
from orders.payments import order_refresh_payment_status
from orders.services import OrderRuleError, refund_issue
from tests.factories import OrderFactory, PaymentFactory, UserFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_inserts_of_one_channel_order_leave_one():
    # given an order template, and two threads that insert it at the same moment
    template = OrderFactory()
    account = template.channel_account
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def insert() -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                Order.objects.create(
                    company=template.company,
                    channel=template.channel,
                    channel_account=account,
                    channel_order_id="2611290001RACE",
                    order_date=template.order_date,
                )
            outcomes.append("created")
        except IntegrityError:
            outcomes.append("refused")
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=insert) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # then
    assert sorted(outcomes) == ["created", "refused"]
    assert Order.objects.filter(channel_order_id="2611290001RACE").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_refunds_racing_for_the_last_euro_leave_one():
    # given a paid order with 1.00 EUR still refundable
    order = OrderFactory(grand_total=Decimal("10.00"))
    payment = PaymentFactory(order=order, amount=Decimal("10.00"), reference="cd")
    user = UserFactory()
    refund_issue(
        order=order,
        by=user,
        payment=payment,
        amount=Decimal("9.00"),
        refund_date=timezone.localdate(),
        notes="partiel",
        form_token=uuid.uuid4(),
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def last_euro() -> None:
        try:
            barrier.wait()
            refund_issue(
                order=order,
                by=user,
                payment=payment,
                amount=Decimal("1.00"),
                refund_date=timezone.localdate(),
                notes="le reste",
                form_token=uuid.uuid4(),
            )
            outcomes.append("refunded")
        except OrderRuleError:
            outcomes.append("refused")
        finally:
            connection.close()

    # when two users refund the last euro at once
    threads = [threading.Thread(target=last_euro) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # then one wins, and the order is refunded exactly once in full
    assert sorted(outcomes) == ["refunded", "refused"]
    assert sum(r.amount for r in Refund.objects.filter(order=order)) == Decimal("10.00")
    order.refresh_from_db()
    assert order_refresh_payment_status(order=order) == "full_refund"
