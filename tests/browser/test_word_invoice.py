"""Word to PDF in a real Chromium against a real LibreOffice: upload the sample template on
Invoice Settings, see it listed, choose it for Cdiscount, Save, then Print Invoice from Order
Details and read the downloaded PDF back. Screenshots go to /tmp."""

from __future__ import annotations

from pathlib import Path

import pytest

from invoices.models import Invoice, InvoicePreference, WordTemplate
from invoices.word.sample import SAMPLE_TEMPLATE
from tests.browser.test_print_invoice import ADDRESS
from tests.browser.test_shell import log_in
from tests.factories import UserFactory
from tests.invoices.conftest import LEGAL, make_order
from tests.invoices.word_fixtures import pdf_to_text

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("word_converter")]


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


def test_a_word_template_uploaded_and_chosen_prints_the_invoice(page, live_server, shop, tmp_path):
    company, order = shop
    log_in(page, live_server)

    # given the sample template uploaded on Invoice Settings
    page.goto(f"{live_server.url}/companies/{company.pk}/invoice-settings/")
    page.get_by_label("Name").fill("Facture maison")
    page.get_by_label("Word template (.docx)").set_input_files(str(SAMPLE_TEMPLATE))
    page.get_by_role("button", name="Upload").click()
    page.get_by_text("Word template “Facture maison” uploaded").wait_for()
    row = page.locator("section[aria-labelledby=word-h]").get_by_role("row").filter(has_text="Facture maison")
    assert "Jeanne Dupré" in row.inner_text()

    # and chosen for Cdiscount
    page.get_by_label("Invoice Type for Cdiscount").select_option(label="Word to PDF")
    page.get_by_label("Word template for Cdiscount").select_option(label="Facture maison")
    page.screenshot(path="/tmp/word-invoice-1-settings.png", full_page=True)
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Invoice Settings saved (1 changes).").wait_for()
    template = WordTemplate.objects.get(company=company)
    assert InvoicePreference.objects.get(company=company, channel="cdiscount").word_template == template

    # when Print Invoice is chosen in Order Details' Actions menu
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    page.locator("main").get_by_role("button", name="Actions").click()
    with page.expect_download() as download_info:
        page.get_by_role("menuitem", name="Print Invoice", exact=True).click()

    # then the browser receives the invoice the template prints
    invoice = Invoice.objects.get(order=order)
    text = pdf_to_text(Path(download_info.value.path()).read_bytes(), tmp_path)
    assert f"FACTURE N° {invoice.number}" in text and "Lampe de chevet « Élise », laiton" in text
    assert "Total TTC : 64,96 EUR" in text
