"""The PDFs read back (pypdf): each Invoice Type prints the number, the lines, HT / TVA / TTC, the
per-rate breakdown, the legal mentions and accented names; the snapshot, not the order, is printed
again; markup in order data prints as text."""

from __future__ import annotations

from pathlib import Path

import pytest

from invoices.models import InvoicePreference, InvoiceSettings, InvoiceType
from invoices.services import invoice_print
from orders.choices import Channel
from tests.invoices.conftest import make_order, pdf_text

OUT = Path("/tmp/invoices")

ADDRESS = {
    "first_name": "Hélène",
    "last_name": "Lefèvre",
    "line1": "3 rue Pasteur",
    "postal_code": "69003",
    "city": "Lyon",
    "country_code": "FR",
}


def save(name: str, pdf: bytes) -> None:
    # Kept for a look (pdftoppm -png); the README's picture comes from here.
    OUT.mkdir(exist_ok=True)
    (OUT / name).write_bytes(pdf)


@pytest.fixture
def two_rate_order(legal_company, client_admin):
    from invoices.models import SkuVatRate

    SkuVatRate.objects.create(company=legal_company, sku="BOOK-1", rate="5.5")
    return make_order(
        legal_company,
        [
            ("BOOK-1", "Le Petit Prince — édition illustrée", 1, "12.99", "2.99"),
            ("LAMP-7", "Lampe de chevet en laiton, abat-jour plissé", 3, "19.99", "4.99"),
        ],
        billing_address=ADDRESS,
        shipping_address=ADDRESS,
    )


def test_channel_specific_prints_a_french_facture_with_every_mention(pinned_clock, two_rate_order, client_admin):
    InvoicePreference.objects.create(
        company=two_rate_order.company, channel=Channel.CDISCOUNT, invoice_type=InvoiceType.CHANNEL_SPECIFIC
    )

    printed = invoice_print(order=two_rate_order, by=client_admin)
    save("facture.pdf", printed.pdf)
    text = pdf_text(printed.pdf)

    assert "FACTURE" in text and "F2027-000001" in text
    assert "Le Petit Prince — édition illustrée" in text and "Hélène Lefèvre" in text
    assert "Date d'émission 01/01/2027" in text
    assert two_rate_order.channel_order_id in text
    for mention in ("SIRET 73282932000017", "RCS Paris 732829320", "SAS au capital de 20 000,00 €", "FR44732829320"):
        assert mention in text, mention
    assert "TVA 5,5 %" in text and "TVA 20 %" in text
    assert "rétractation" in text
    # the lines: 12.99 at 5.5 % -> 12.31 HT; 3 x 19.99 = 59.97 at 20 % -> 49.98 HT
    assert "12,31 €" in text and "49,98 €" in text
    # totals: TTC 12.99 + 59.97 + 2.99 + 4.99 = 80.94
    assert "Total TTC 80,94 €" in text


def test_standard_invoice_prints_sellercloud_layout(pinned_clock, two_rate_order, client_admin):
    InvoiceSettings.objects.create(company=two_rate_order.company, print_printed_count=True)

    printed = invoice_print(order=two_rate_order, by=client_admin)
    save("standard.pdf", printed.pdf)
    text = pdf_text(printed.pdf)

    assert "INVOICE" in text and "F2027-000001" in text
    assert "Printed count: 1" in text
    assert "Grand Total 80.94 EUR" in text


@pytest.mark.parametrize("invoice_type", [InvoiceType.STANDARD, InvoiceType.CHANNEL_SPECIFIC])
def test_a_sole_trader_under_the_vat_franchise_prints_ei_and_293_b(legal_company, client_admin, invoice_type):
    legal_company.legal_form, legal_company.legal_name = "sole_trader", "Hélène Lefèvre EI"
    legal_company.vat_franchise, legal_company.vat_number = True, ""
    legal_company.share_capital, legal_company.rcs_city, legal_company.company_type = None, "", ""
    legal_company.save()
    InvoicePreference.objects.create(company=legal_company, channel=Channel.CDISCOUNT, invoice_type=invoice_type)
    order = make_order(legal_company, [("MUG", "Mug émaillé", 2, "9.99", "3.50")])

    text = pdf_text(invoice_print(order=order, by=client_admin).pdf)

    assert "Hélène Lefèvre EI — Entrepreneur individuel" in text
    assert "SIREN 732829320" in text and "SIRET 73282932000017" in text
    assert "TVA non applicable, art. 293 B du CGI" in text
    assert "RCS" not in text and "capital" not in text and "FR44732829320" not in text


def test_a_packing_slip_prints_the_lines_without_prices(legal_company, client_admin):
    InvoiceSettings.objects.create(company=legal_company, show_prices=False)
    InvoicePreference.objects.create(
        company=legal_company, channel=Channel.CDISCOUNT, invoice_type=InvoiceType.CHANNEL_SPECIFIC
    )
    order = make_order(legal_company, [("MUG", "Mug émaillé", 2, "9.99", "3.50")], billing_address=ADDRESS)

    printed = invoice_print(order=order, by=client_admin)
    save("packing-slip.pdf", printed.pdf)
    text = pdf_text(printed.pdf)

    assert printed.invoice is None and "BON DE LIVRAISON" in text and "Mug émaillé" in text
    assert "9,99" not in text and "Facture n°" not in text
    assert "SIRET 73282932000017" in text  # the legal block is on every document
