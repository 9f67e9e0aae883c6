"""A double-clicked Refund (issue 24, point 8): one refund, and the browser lands on the order's
own address, not on /refund/ showing the order page. In a real Chromium."""

from decimal import Decimal

import pytest

from orders.models import Refund
from orders.payments import order_refresh_payment_status
from tests.browser.test_shell import log_in
from tests.factories import CompanyFactory, OrderFactory, OrderItemFactory, PaymentFactory, UserFactory

pytestmark = [pytest.mark.browser]


@pytest.fixture
def order(transactional_db):
    UserFactory(username="admin", is_client_admin=True)
    order = OrderFactory(company=CompanyFactory())
    OrderItemFactory(order=order)
    PaymentFactory(order=order, amount=Decimal("50.00"), reference="cd-1")
    order_refresh_payment_status(order=order)
    return order


@pytest.mark.parametrize("amount", ["10.00", "50.00"])  # part, and all of it (the second post then finds none left)
def test_a_double_clicked_refund_makes_one_refund_and_lands_on_the_order(page, live_server, order, amount):
    log_in(page, live_server)
    page.goto(f"{live_server.url}/orders/{order.pk}/refund/")
    page.get_by_label("Amount To Refund").fill(amount)
    page.get_by_label("Notes").fill("Rayure sur le pied")

    page.get_by_role("button", name="Refund").dblclick()

    page.wait_for_url(f"{live_server.url}/orders/{order.pk}/")
    page.get_by_role("status").filter(has_text=f"Refund of {amount} EUR recorded").wait_for()
    assert list(Refund.objects.values_list("amount", flat=True)) == [Decimal(amount)]
