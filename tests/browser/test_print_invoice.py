"""Invoice Settings and Print Invoice in a real Chromium (Playwright): set Cdiscount to Channel
Specific, then print from Order Details and read the downloaded Facture back. Screenshots go to
/tmp."""

from __future__ import annotations

from pathlib import Path

import pytest

from invoices.models import Invoice, InvoicePreference, InvoiceSettingsChange
from tests.browser.test_shell import log_in
from tests.factories import UserFactory
from tests.invoices.conftest import LEGAL, make_order, pdf_text

pytestmark = [pytest.mark.browser]

SCREENSHOTS = "/tmp/print-invoice-{}.png"
ADDRESS = {
    "first_name": "Hélène",
    "last_name": "Lefèvre",
    "line1": "3 rue Pasteur",
    "postal_code": "69003",
    "city": "Lyon",
    "country_code": "FR",
}


@pytest.fixture
def shop(transactional_db):
    from tests.factories import CompanyFactory

    company = CompanyFactory(**LEGAL)
    UserFactory(username="admin", first_name="Jeanne", last_name="Dupré", is_client_admin=True)
    order = make_order(
        company,
        [("LAMP-7", "Lampe de chevet « Élise », laiton", 3, "19.99", "4.99")],
        billing_address=ADDRESS,
        shipping_address=ADDRESS,
    )
    return company, order


def test_cdiscount_set_to_channel_specific_prints_a_facture_from_order_details(page, live_server, shop):
    company, order = shop
    log_in(page, live_server)

    # given Cdiscount set to Channel Specific in Invoice Settings
    page.goto(f"{live_server.url}/companies/{company.pk}/")
    page.get_by_role("navigation", name="Toolbox").get_by_role("link", name="Invoice Settings").click()
    page.get_by_role("heading", name=f"Invoice Settings — {company.name}").wait_for()
    page.get_by_label("Invoice Type for Cdiscount").select_option(label="Channel Specific")
    page.screenshot(path=SCREENSHOTS.format("1-settings"), full_page=True)
    page.get_by_role("button", name="Save").click()
    page.get_by_role("status").filter(has_text="Invoice Settings saved (1 changes).").wait_for()
    assert InvoicePreference.objects.get(company=company, channel="cdiscount").invoice_type == "channel_specific"
    assert InvoiceSettingsChange.objects.get().new_value == "Channel Specific"

    # when Print Invoice is chosen in Order Details' Actions menu
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    page.locator("main").get_by_role("button", name="Actions").click()
    page.screenshot(path=SCREENSHOTS.format("2-menu"), full_page=True)
    with page.expect_download() as download_info:
        page.get_by_role("menuitem", name="Print Invoice", exact=True).click()
    download = download_info.value

    # then the browser receives the French Facture with its number
    invoice = Invoice.objects.get(order=order)
    assert download.suggested_filename == f"{invoice.number}.pdf"
    text = pdf_text(Path(download.path()).read_bytes())
    assert "FACTURE" in text and invoice.number in text
    assert "Lampe de chevet « Élise », laiton" in text and "Hélène Lefèvre" in text
    assert "Total TTC 64,96 €" in text
    assert order.channel_order_id in text
