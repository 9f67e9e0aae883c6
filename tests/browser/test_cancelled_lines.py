"""An order with a line Cdiscount cancelled after its payment, read in a real Chromium: Items
strikes the line and leaves it out, and Manage Orders shows the same Grand Total (issue 17)."""

import pytest

from orders.models import Order
from tests.browser.test_shell import log_in
from tests.channels.test_cancelled_lines import A_AMOUNT, LINE_B, two_lines, upsert
from tests.factories import CdiscountAccountFactory, UserFactory

pytestmark = [pytest.mark.browser]


@pytest.fixture
def order(transactional_db):
    UserFactory(username="admin", is_client_admin=True)
    account = CdiscountAccountFactory(allow_unpaid_orders=False)
    upsert(account, two_lines())
    return upsert(account, two_lines(b_status="Cancelled", updated="2026-09-03T10:00:00+00:00"))


def test_items_and_the_grid_show_the_same_grand_total_without_the_cancelled_line(page, live_server, order):
    log_in(page, live_server)
    assert Order.objects.get(pk=order.pk).grand_total == A_AMOUNT

    page.goto(f"{live_server.url}/orders/{order.pk}/")
    items = page.get_by_role("region", name="Items")
    cancelled = items.locator("tr[data-cancelled]")
    assert cancelled.count() == 1 and "LIVRE-42" in cancelled.inner_text() and "Cancelled" in cancelled.inner_text()
    assert cancelled.locator("s").count() == 3  # unit price, shipping and total struck through
    assert page.get_by_test_id("grand-total").inner_text() == f"{A_AMOUNT} EUR"
    assert page.get_by_test_id("payment-status").inner_text() == "Partial Refund"
    refunds = page.get_by_role("region", name="Refunds").inner_text()
    assert "22.98 EUR" in refunds and f"line {LINE_B}" in refunds and "Cdiscount" in refunds
    page.screenshot(path="/tmp/cancelled-line-items.png", full_page=True)

    page.goto(f"{live_server.url}/orders/?q={order.channel_order_id}")
    row = page.locator("table.mo-grid tbody tr")
    assert row.count() == 1
    assert f"{A_AMOUNT} €" in row.inner_text()
