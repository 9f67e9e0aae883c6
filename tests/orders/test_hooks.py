"""orders lets higher layers react to a cancel or a refund once it is committed (orders.hooks)."""

import uuid
from decimal import Decimal

import pytest
from django.db import transaction

from orders import hooks
from orders.payments import order_refresh_payment_status
from orders.services import company_today, order_cancel_internally, refund_issue
from tests.factories import OrderFactory, PaymentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls():
    seen: list[tuple[str, dict]] = []

    def cancelled(**ids):
        seen.append(("cancelled", ids))

    def refunded(**ids):
        seen.append(("refunded", ids))

    hooks.on_order_cancelled(cancelled)
    hooks.on_order_refunded(refunded)
    yield seen
    hooks.remove(cancelled)
    hooks.remove(refunded)


def test_a_cancel_calls_the_cancelled_hooks_once_committed(calls, client_admin, django_capture_on_commit_callbacks):
    order = OrderFactory()

    with django_capture_on_commit_callbacks(execute=True):
        order_cancel_internally(order=order, by=client_admin, reason="Out of stock")
        assert calls == []  # not before the commit

    assert calls == [("cancelled", {"order_id": order.pk})]


def test_a_refund_calls_the_refunded_hooks_with_the_refund(calls, client_admin, django_capture_on_commit_callbacks):
    order = OrderFactory()
    payment = PaymentFactory(order=order, amount=Decimal("123.79"))
    order_refresh_payment_status(order=order)
    token = uuid.uuid4()

    form = {"payment": payment, "amount": Decimal("10.00"), "refund_date": company_today(order), "notes": "Scratched"}

    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_issue(order=order, by=client_admin, form_token=token, **form)
    with django_capture_on_commit_callbacks(execute=True):
        refund_issue(order=order, by=client_admin, form_token=token, **form)  # the same form posted again

    assert calls == [("refunded", {"order_id": order.pk, "refund_id": refund.pk})]


def test_a_rolled_back_cancel_calls_nothing(calls, client_admin, django_capture_on_commit_callbacks):
    order = OrderFactory()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        order_cancel_internally(order=order, by=client_admin, reason="Out of stock")
        raise RuntimeError("the surrounding work failed")

    assert calls == []
    order.refresh_from_db()
    assert order.status != "canceled"


def test_a_failing_hook_does_not_undo_the_cancel(client_admin, django_capture_on_commit_callbacks):
    def broken(**ids):
        raise ValueError("invoices are down")

    hooks.on_order_cancelled(broken)
    order = OrderFactory()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            order_cancel_internally(order=order, by=client_admin, reason="Out of stock")
    finally:
        hooks.remove(broken)

    order.refresh_from_db()
    assert order.status == "canceled"
