"""Manage Orders' filters in a real Chromium with the en-US locale (issue 24, points 6 and 7):
statuses are checkboxes like Channel, and dates are typed and shown as dd/mm/yyyy, the same
format as the grid, whatever the browser's locale."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from orders.choices import OrderStatus
from orders.payments import order_refresh_payment_status
from tests.browser.test_shell import log_in
from tests.factories import CompanyFactory, OrderFactory, PaymentFactory, UserFactory

pytestmark = [pytest.mark.browser]


@pytest.fixture
def orders(transactional_db):
    UserFactory(username="admin", is_client_admin=True)
    company = CompanyFactory()
    early = OrderFactory(company=company, order_date=datetime(2026, 11, 2, 9, tzinfo=UTC), customer_name="Avant")
    late = OrderFactory(company=company, order_date=datetime(2026, 11, 20, 9, tzinfo=UTC), customer_name="Après")
    held = OrderFactory(
        company=company,
        order_date=datetime(2026, 11, 21, 9, tzinfo=UTC),
        status=OrderStatus.ON_HOLD,
        customer_name="Tenue",
    )
    PaymentFactory(order=late, amount=Decimal("10.00"), reference="cd-late")
    order_refresh_payment_status(order=late)
    return early, late, held


def test_status_checkboxes_and_day_first_dates(page, live_server, orders):
    early, late, held = orders
    log_in(page, live_server)
    page.goto(f"{live_server.url}/orders/")

    # statuses are checkboxes, as Channel is
    page.get_by_role("group", name="Order Status").get_by_label("On Hold").check()
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/orders/?*status=on_hold*")
    body = page.locator("table.mo-grid tbody").inner_text()
    assert "Tenue" in body and "Avant" not in body and "Après" not in body

    # dates: typed day first, read day first (not mm/dd/yyyy, the en-US date input's order)
    page.goto(f"{live_server.url}/orders/")
    date_from = page.get_by_label("Order Date from")
    assert date_from.get_attribute("placeholder") == "dd/mm/yyyy"
    date_from.fill("10/11/2026")  # 10 November
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/orders/?*date_from=10%2F11%2F2026*")
    body = page.locator("table.mo-grid tbody").inner_text()
    assert "Après" in body and "Tenue" in body and "Avant" not in body
    assert page.get_by_label("Order Date from").input_value() == "10/11/2026"
    page.screenshot(path="/tmp/manage-orders-filters.png", full_page=True)

    # and the refund form's date reads the same way
    page.goto(f"{live_server.url}/orders/{late.pk}/refund/")
    refund_date = page.get_by_label("Refund Date").input_value()
    assert refund_date.count("/") == 2 and len(refund_date) == 10 and refund_date[2] == "/"
