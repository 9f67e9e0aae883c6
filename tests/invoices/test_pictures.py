"""Each layout rendered to PNG by a second engine (pdftoppm, poppler-utils): the PDFs are sound
A4 pages. Set INVOICE_PICTURES_DIR to keep the pictures (docs/invoice-facture-cdiscount.png is
the Cdiscount B2C one)."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from invoices.demo import demo_logo_png
from invoices.models import InvoicePreference, InvoiceSettings, InvoiceType, SkuVatRate
from invoices.services import invoice_print
from orders.choices import Channel
from tests.invoices.conftest import make_order, pdf_text

pytestmark = pytest.mark.skipif(not shutil.which("pdftoppm"), reason="no pdftoppm (apt-get install -y poppler-utils)")

CUSTOMER = {"first_name": "Hélène", "last_name": "Lefèvre", "line1": "3 rue Pasteur", "postal_code": "69003"}
CUSTOMER |= {"city": "Lyon", "country_code": "FR"}
BUSINESS = {**CUSTOMER, "company": "Hôtel Beauséjour SARL"}
# What the download keeps of Cdiscount's businessOrder and the buyer's companyVatNumber.
B2B = {"business_order": True, "buyer_vat_number": "FR12345678901"}
LINES = [
    ("BOOK-1", "Le Petit Prince — édition illustrée", 1, "12.99", "2.99"),
    ("LAMP-7", "Lampe de chevet « Élise », laiton brossé", 3, "19.99", "4.99"),
    ("CARD-1", "Carte postale", 1, "0.01", "0.00"),
]


def to_png(pdf: bytes, tmp_path: Path, name: str) -> Path:
    (tmp_path / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "100", "-singlefile", str(tmp_path / f"{name}.pdf"), str(tmp_path / name)],
        check=True,
        timeout=60,
    )
    png = tmp_path / f"{name}.png"
    keep = os.environ.get("INVOICE_PICTURES_DIR")
    if keep:
        shutil.copy(png, Path(keep) / f"invoice-{name}.png")
    return png


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.fixture
def shop(legal_company, client_admin):
    legal_company.logo.save("maison-lumiere.png", ContentFile(demo_logo_png()))
    SkuVatRate.objects.create(company=legal_company, sku="BOOK-1", rate="5.5")
    InvoiceSettings.objects.create(company=legal_company, print_printed_count=True)
    InvoicePreference.objects.create(
        company=legal_company, channel=Channel.CDISCOUNT, invoice_type=InvoiceType.CHANNEL_SPECIFIC
    )
    return legal_company


@pytest.mark.parametrize(
    ("name", "channel", "address", "expected"),
    [
        ("facture-cdiscount", Channel.CDISCOUNT, CUSTOMER, "rétractation"),
        ("facture-cdiscount-business", Channel.CDISCOUNT, BUSINESS, "40 €"),
        ("standard", Channel.WEBSITE, CUSTOMER, "Grand Total"),
    ],
)
def test_each_layout_renders_to_an_a4_picture(shop, client_admin, tmp_path, name, channel, address, expected):
    b2b = B2B if address is BUSINESS else {}
    order = make_order(shop, LINES, channel=channel, billing_address=address, shipping_address=CUSTOMER, **b2b)

    pdf = invoice_print(order=order, by=client_admin).pdf

    assert expected in pdf_text(pdf)
    width, height = png_size(to_png(pdf, tmp_path, name))
    assert abs(height / width - 297 / 210) < 0.01


def test_a_business_order_prints_the_b2b_mentions(shop, client_admin):
    order = make_order(shop, LINES, billing_address=BUSINESS, shipping_address=CUSTOMER, **B2B)

    text = pdf_text(invoice_print(order=order, by=client_admin).pdf)

    assert "N° TVA client : FR12345678901" in text and "Hôtel Beauséjour SARL" in text
    assert "Date d'échéance" in text and "Pénalités de retard" in text
    assert "Indemnité forfaitaire pour frais de recouvrement : 40 €" in text
    assert "rétractation" not in text


def test_a_cdiscount_order_that_is_not_a_business_order_prints_the_consumer_mentions(shop, client_admin):
    # a company name on the address alone: Cdiscount did not flag it businessOrder
    order = make_order(shop, LINES, billing_address=BUSINESS, shipping_address=CUSTOMER)

    text = pdf_text(invoice_print(order=order, by=client_admin).pdf)

    assert "rétractation" in text and "Pénalités de retard" not in text
