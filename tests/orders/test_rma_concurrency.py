"""On PostgreSQL: RMA guarantees that rest on row locks (issue 22)."""

import threading

import pytest
from django.db import connection

from orders.models import RMA, RMAItem
from orders.rma.services import Receipt, rma_receive
from orders.services import OrderRuleError
from tests.factories import UserFactory

from .rma_helpers import create, shipped_order


def at_once(call, times=2):
    """Run `call` in `times` threads released together; their outcomes."""
    barrier = threading.Barrier(times)
    outcomes: list[str] = []

    def run() -> None:
        try:
            barrier.wait()
            call()
            outcomes.append("done")
        except OrderRuleError as exc:
            outcomes.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_full_receipts_posted_at_once_receive_once():
    # given an RMA expecting 2 lamps and 1 shade
    user = UserFactory()
    rma = create(shipped_order(), user, ("LAMP-1", 2), ("SHADE-1", 1))
    receipts = [Receipt(item.pk, item.quantity, "sellable") for item in rma.items.all()]

    # when two users post the full receipt at the same moment
    outcomes = at_once(lambda: rma_receive(rma=RMA.objects.get(pk=rma.pk), by=user, receipts=receipts))

    # then one is refused with the reason, and nothing is received twice
    assert sorted(outcomes) == ["Everything expected on this RMA has been received.", "done"]
    assert list(RMAItem.objects.order_by("pk").values_list("quantity", "received_quantity")) == [(2, 2), (1, 1)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rmas_created_at_once_get_different_numbers():
    user = UserFactory()
    order = shipped_order()

    outcomes = at_once(lambda: create(order, user, ("SHADE-1", 1)), times=1)
    outcomes += at_once(lambda: create(shipped_order(company=order.company), user, ("LAMP-1", 1)), times=3)

    assert outcomes == ["done"] * 4
    assert sorted(RMA.objects.values_list("number", flat=True)) == [f"RMA-00000{n}" for n in range(1, 5)]
