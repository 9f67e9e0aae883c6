"""On PostgreSQL, the database itself keeps one order per marketplace order under concurrency."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from orders.models import Order
from tests.factories import OrderFactory


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
