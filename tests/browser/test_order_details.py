"""Order Details in a real Chromium (Playwright): refund in two steps, ship, and a cancel that
the page refuses after Ship Confirmed (SPEC S7, S8). Screenshots go to /tmp."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.models import ChannelPayload, Order
from orders.payments import order_refresh_payment_status
from tests.browser.test_shell import log_in
from tests.factories import CompanyFactory, OrderFactory, OrderItemFactory, PaymentFactory, UserFactory

pytestmark = [pytest.mark.browser]

SCREENSHOTS = "/tmp/order-details-{}.png"


@pytest.fixture
def orders(transactional_db):
    company = CompanyFactory(name="Maison Lumière SAS")
    UserFactory(username="admin", first_name="Jeanne", last_name="Dupré", is_client_admin=True)
    made = []
    for n in range(3):
        order = OrderFactory(company=company, customer_name="Hélène <script>Lefèvre</script>")
        OrderItemFactory(order=order, title="Lampe de chevet <img src=x onerror=alert(1)>")
        PaymentFactory(order=order, amount=Decimal("123.79"), reference=f"cd-{n}")
        order_refresh_payment_status(order=order)
        made.append(order)
    Order.objects.filter(pk=made[2].pk).update(ship_confirmed_at=timezone.now(), status="completed")
    address = {
        "first_name": "Hélène",
        "last_name": "Lefèvre",
        "line1": "3 rue Pasteur",
        "postal_code": "69003",
        "city": "Lyon",
        "country_code": "FR",
    }
    Order.objects.filter(pk=made[0].pk).update(shipping_address=address, billing_address=address)
    for hours, status in ((3, "WaitingAcceptance"), (1, "InPreparation")):
        raw = {"orderId": made[0].channel_order_id, "status": status, "lines": [{"offerId": "LAMP", "status": status}]}
        ChannelPayload.objects.create(
            order=made[0], raw=raw, sha256=status.ljust(64, "0"), received_at=timezone.now() - timedelta(hours=hours)
        )
    return made


def test_refund_twice_ship_and_a_refused_cancel(page, live_server, orders):
    refunded, shipped, confirmed = orders
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    log_in(page, live_server)

    # given a Cdiscount order with its payment
    page.goto(f"{live_server.url}/orders/{refunded.pk}/")
    page.get_by_role("heading", name=f"Order {refunded.pk} · Cdiscount {refunded.channel_order_id}").wait_for()
    assert "Hélène <script>Lefèvre</script>" in page.get_by_test_id("customer-name").inner_text()  # text, not markup
    page.screenshot(path=SCREENSHOTS.format("1-page"), full_page=True)

    # when a partial refund is issued from the Actions menu
    page.locator("main").get_by_role("button", name="Actions").click()
    page.get_by_role("menuitem", name="Issue Refund").click()
    assert page.get_by_label("Amount To Refund").input_value() == "123.79"
    page.get_by_label("Amount To Refund").fill("23.79")
    page.get_by_label("Notes").fill("Scratched base")
    page.get_by_label("Refund Method").select_option(label="Bank transfer")
    page.screenshot(path=SCREENSHOTS.format("2-refund-form"), full_page=True)
    page.get_by_role("button", name="Refund").click()

    # then the page says so and Payment Status is Partial Refund
    page.get_by_role("status").filter(has_text="Refund of 23.79 EUR recorded").wait_for()
    assert page.get_by_test_id("payment-status").inner_text() == "Partial Refund"

    # when the rest is refunded (the amount defaults to what is left)
    page.locator("main").get_by_role("button", name="Actions").click()
    page.get_by_role("menuitem", name="Issue Refund").click()
    assert page.get_by_label("Amount To Refund").input_value() == "100.00"
    page.get_by_label("Notes").fill("Returned")
    page.get_by_role("button", name="Refund").click()

    # then Full Refund, and Profit & Loss is revenue - refunds - commission
    page.get_by_role("status").filter(has_text="Payment Status: Full Refund").wait_for()
    assert page.get_by_test_id("payment-status").inner_text() == "Full Refund"
    assert page.get_by_test_id("profit").inner_text() == "-10.32"
    page.screenshot(path=SCREENSHOTS.format("3-refunded"), full_page=True)

    # when another order is shipped
    page.goto(f"{live_server.url}/orders/{shipped.pk}/")
    page.locator("main").get_by_role("button", name="Actions").click()
    page.get_by_role("menuitem", name="Ship Order").click()
    page.get_by_label("Carrier").fill("Colissimo")
    page.get_by_label("Tracking number").fill("6A12345678901")
    page.get_by_label("Shipping cost").fill("6.90")
    page.screenshot(path=SCREENSHOTS.format("5-ship-form"), full_page=True)
    page.get_by_role("button", name="Ship Order").click()
    page.get_by_role("status").filter(has_text="Shipped with Colissimo 6A12345678901").wait_for()
    assert page.get_by_test_id("order-status").inner_text() == "Completed"
    assert page.get_by_test_id("shipping-status").inner_text() == "Fully Shipped"
    assert "6.90" in page.get_by_test_id("profit-and-loss").inner_text()

    # when the user tries to cancel a Ship Confirmed order
    page.goto(f"{live_server.url}/orders/{confirmed.pk}/")
    page.locator("main").get_by_role("button", name="Actions").click()
    cancel = page.get_by_role("menuitem", name="Set Cancelled Internally")
    page.screenshot(path=SCREENSHOTS.format("4-cancel-disabled"), full_page=False)

    # then the item is disabled and says why and what to do instead
    assert cancel.get_attribute("aria-disabled") == "true"
    assert "cancel is not allowed, issue a refund or create an RMA" in cancel.inner_text()
    cancel.click(force=True)
    assert page.url == f"{live_server.url}/orders/{confirmed.pk}/"
    assert Order.objects.get(pk=confirmed.pk).status == "completed"
    assert dialogs == []
