"""Returns in a real Chromium (issue 22): from a Ship Confirmed Cdiscount order, Create RMA
through the link of the refused cancel, Receive Return, a Refund resolution and its refund, then
a second item replaced and the replacement order shipped. Screenshots go to /tmp."""

import re
from decimal import Decimal

import pytest

from orders.models import Order, Refund
from tests.browser.test_shell import log_in
from tests.factories import CompanyFactory, UserFactory
from tests.orders.rma_helpers import shipped_order

pytestmark = [pytest.mark.browser]

SCREENSHOTS = "/tmp/returns-{}.png"


@pytest.fixture
def order(transactional_db):
    UserFactory(username="admin", first_name="Jeanne", last_name="Dupré", is_client_admin=True)
    return shipped_order(company=CompanyFactory(name="Maison Lumière SAS"))


def open_action(page, name):
    page.locator("main").get_by_role("button", name="Actions").click()
    page.get_by_role("menuitem", name=name, exact=True).click()


def create_rma(page, sku):
    page.get_by_label(f"Return {sku}").check()
    page.get_by_label(f"Qty to Return of {sku}").fill("1")
    page.get_by_label("Return Reason For All Items").select_option("Damaged")
    page.get_by_role("button", name="Create RMA").click()
    page.get_by_role("status").filter(has_text="created: status Open, Not Received").wait_for()


def receive(page, sku):
    open_action(page, "Receive Return")
    page.get_by_label(f"Qty received now of {sku}").fill("1")
    page.get_by_label(f"Condition of {sku}").select_option(label="Sellable")
    page.get_by_role("button", name="Receive Return").click()
    page.get_by_role("status").filter(has_text="Return received: Received").wait_for()


def set_resolution(page, sku, resolution):
    open_action(page, "Set Resolution")
    page.get_by_label(re.compile(f"{sku} · ")).check()
    page.get_by_role("combobox", name="Resolution").select_option(label=resolution)
    page.get_by_role("button", name="Set Resolution").click()


def test_return_refund_and_replacement(page, live_server, order):
    log_in(page, live_server)

    # given a Ship Confirmed Cdiscount order: Set Cancelled Internally is disabled, linking to Create RMA
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    page.locator("main").get_by_role("button", name="Actions").click()
    cancel = page.get_by_role("menuitem", name="Set Cancelled Internally")
    assert cancel.get_attribute("aria-disabled") == "true"
    assert "cancel is not allowed, issue a refund or create an RMA" in cancel.inner_text()
    page.get_by_role("menuitem", name="→ Issue Refund").wait_for()
    page.screenshot(path=SCREENSHOTS.format("1-cancel-refused"))
    page.get_by_role("menuitem", name="→ Create RMA").click()

    # when the lamp comes back: Create RMA, Receive Return, resolution Refund
    page.get_by_label("Return LAMP-1").wait_for()
    page.screenshot(path=SCREENSHOTS.format("1b-create-rma"), full_page=True)
    create_rma(page, "LAMP-1")
    assert page.get_by_test_id("rma-status").inner_text() == "Open"
    assert page.get_by_test_id("received-status").inner_text() == "Not Received"
    receive(page, "LAMP-1")
    assert page.get_by_test_id("received-status").inner_text() == "Received"
    set_resolution(page, "LAMP-1", "Refund")

    # then Issue Refund opens with the lamp's value and the RMA as reference, and records it
    assert page.get_by_label("Amount To Refund").input_value() == "49.90"
    assert page.get_by_label("Reference Number").input_value() == "RMA-000001"
    page.screenshot(path=SCREENSHOTS.format("2-refund-form"), full_page=True)
    page.get_by_role("button", name="Refund").click()
    page.get_by_role("status").filter(has_text="Refund of 49.90 EUR recorded from RMA-000001").wait_for()
    page.screenshot(path=SCREENSHOTS.format("3-rma-details"), full_page=True)
    assert Refund.objects.get().amount == Decimal("49.90")

    # and the order shows it: Partial Refund, Profit & Loss less the refund excl. VAT
    page.get_by_test_id("rma-order-link").click()
    assert page.get_by_test_id("payment-status").inner_text() == "Partial Refund"
    # 132.79 / 1.2 = 110.66, less 49.90 / 1.2 = 41.58, less the commission 10.32
    assert page.get_by_test_id("profit").inner_text() == "58.76"
    assert "RMA-000001" in page.get_by_test_id("order-rmas").inner_text()
    page.screenshot(path=SCREENSHOTS.format("3b-order-details"), full_page=True)

    # when the shade comes back and is replaced
    open_action(page, "Create RMA")
    create_rma(page, "SHADE-1")
    receive(page, "SHADE-1")
    set_resolution(page, "SHADE-1", "Replace")
    page.get_by_role("status").filter(has_text=re.compile(r"Replacement order \d+ created")).wait_for()

    # then the replacement order opens from the link, and ships without payment
    page.get_by_test_id("replacement-link").click()
    replacement = Order.objects.get(replacement_of=order)
    page.wait_for_url(f"{live_server.url}/orders/{replacement.pk}/")
    assert f"Replacement of order {order.pk}" in page.get_by_test_id("replacement-orders").inner_text()
    assert page.get_by_test_id("discount").inner_text() == "−24.00"
    assert page.get_by_test_id("grand-total").inner_text() == "0.00 EUR"
    open_action(page, "Ship Order")
    page.get_by_label("Carrier").fill("Colissimo")
    page.get_by_label("Tracking number").fill("6A12345678902")
    page.get_by_role("button", name="Ship Order").click()
    page.get_by_role("status").filter(has_text="upload: Not Required").wait_for()
    assert page.get_by_test_id("shipping-status").inner_text() == "Fully Shipped"
    assert page.get_by_test_id("payment-status").inner_text() == "No Payment"
    assert page.get_by_role("button", name="Upload to Cdiscount").count() == 0  # nothing goes to the channel

    # and Manage RMAs lists both RMAs
    page.screenshot(path=SCREENSHOTS.format("5-replacement-order"), full_page=True)
    page.goto(f"{live_server.url}/rmas/")
    assert page.get_by_test_id("rma-grid").locator("tbody tr").count() == 2
    page.screenshot(path=SCREENSHOTS.format("4-manage-rmas"), full_page=True)

    # and the company keeps its return reasons under Return Settings
    page.goto(f"{live_server.url}/companies/{order.company_id}/")
    page.get_by_role("link", name="Return Settings").click()
    assert "Withdrawal within 14 days" in page.get_by_test_id("return-reasons").inner_text()
    page.get_by_label("New reason").fill("Arrived late")
    page.get_by_role("button", name="Add").click()
    page.get_by_role("status").filter(has_text="Return reason “Arrived late” added.").wait_for()
    page.screenshot(path=SCREENSHOTS.format("6-return-settings"), full_page=True)
