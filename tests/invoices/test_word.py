"""Word to PDF against a real LibreOffice: the invoice printed from the sample template and read
back with pdftotext; the preview; order data that cannot inject markup; a template trying to
reach Python's internals prints nothing of them; a killed or hung converter; no LibreOffice."""

from __future__ import annotations

import os
import signal
import time

import pytest
from django.urls import reverse

from invoices.models import Invoice, InvoicePreference, InvoiceType, WordTemplate
from invoices.services import InvoiceRenderFailed, invoice_print
from invoices.word import converter
from invoices.word_templates import word_template_upload
from orders.choices import Channel
from tests.invoices.conftest import make_order
from tests.invoices.test_pictures import png_size, to_png
from tests.invoices.word_fixtures import pdf_to_text, sample_upload

pytestmark = pytest.mark.usefixtures("word_converter")

CUSTOMER = {"first_name": "Hélène", "last_name": "Lefèvre", "line1": "3 rue Pasteur", "postal_code": "69003"}
CUSTOMER |= {"city": "Lyon", "country_code": "FR"}
LINES = [
    ("LAMP-7", "Lampe de chevet « Élise », laiton brossé", 3, "19.99", "4.99"),
    ("BOOK-1", "Le Petit Prince — édition illustrée", 1, "12.99", "2.99"),
]


@pytest.fixture
def word_company(legal_company, client_admin):
    template = word_template_upload(company=legal_company, by=client_admin, name="Facture", file=sample_upload())
    InvoicePreference.objects.create(
        company=legal_company, channel=Channel.CDISCOUNT, invoice_type=InvoiceType.WORD, word_template=template
    )
    return legal_company


def test_a_word_invoice_prints_its_number_lines_accents_and_totals(pinned_clock, word_company, client_admin, tmp_path):
    order = make_order(word_company, LINES, billing_address=CUSTOMER, shipping_address=CUSTOMER)

    printed = invoice_print(order=order, by=client_admin)
    text = pdf_to_text(printed.pdf, tmp_path)

    invoice = Invoice.objects.get(order=order)
    assert invoice.invoice_type == InvoiceType.WORD and invoice.number == "F2027-000001"
    assert "FACTURE N° F2027-000001" in text
    # Dates the French way (the clock is pinned at 23:30 UTC on 31/12/2026: 01/01/2027 in Paris)
    assert "Date de facturation : 01/01/2027" in text and "2027-01-01" not in text
    assert "Lampe de chevet « Élise », laiton brossé" in text and "Le Petit Prince — édition illustrée" in text
    assert "Hélène Lefèvre" in text and "Maison Lumière SAS" in text and "SIRET : 73282932000017" in text
    assert f"Commande Cdiscount n° {order.channel_order_id}" in text
    # 3 x 19.99 + 12.99 + shipping 4.99 + 2.99 = 80.94 TTC
    assert "Total TTC : 80,94 EUR" in text
    assert f"Total HT : {invoice.snapshot['totals']['ht'].replace('.', ',')} EUR" in text
    width, height = png_size(to_png(printed.pdf, tmp_path, "word-facture"))
    assert abs(height / width - 297 / 210) < 0.01


def test_order_data_prints_as_text_not_as_document_markup(word_company, client_admin, tmp_path):
    lines = [("X-1", 'Vis </w:t></w:r> <w:r><w:t> INJECTED & "co" <b>', 1, "5.00", "0.00")]
    order = make_order(word_company, lines, billing_address=CUSTOMER, shipping_address=CUSTOMER)

    text = pdf_to_text(invoice_print(order=order, by=client_admin).pdf, tmp_path)

    # pdftotext may wrap the narrow column anywhere between words
    for piece in ("Vis", "</w:t></w:r>", "<w:r><w:t>", "INJECTED", "&", '"co"', "<b>"):
        assert piece in text


def test_a_stored_template_reaching_for_python_internals_prints_nothing_of_them(legal_company, client_admin, tmp_path):
    # Stored as-is (the upload check would refuse it): the sandbox is the wall at print too.
    from docx import Document

    document = Document()
    document.add_paragraph("N° {{ number }} [{{ ''.__class__.__mro__ }}] [{{ seller.__class__ }}]")
    document.add_paragraph("[{{ lines.append }}] [{{ cycler.__init__.__globals__ }}] fin")
    path = tmp_path / "evil.docx"
    document.save(str(path))
    template = WordTemplate.objects.create(company=legal_company, name="evil", content=path.read_bytes(), size=1)
    InvoicePreference.objects.create(
        company=legal_company, channel=Channel.CDISCOUNT, invoice_type=InvoiceType.WORD, word_template=template
    )
    order = make_order(legal_company, LINES)

    text = pdf_to_text(invoice_print(order=order, by=client_admin).pdf, tmp_path)

    number = Invoice.objects.get(order=order).number
    assert f"N° {number} [] []" in text and "[] [] fin" in text
    assert "class" not in text and "object" not in text and "globals" not in text


def test_the_preview_prints_the_template_on_a_sample_order(client, client_admin, word_company, tmp_path):
    client.force_login(client_admin)
    template = WordTemplate.objects.get(company=word_company)

    response = client.get(reverse("word_template_preview", args=[template.pk]))

    assert response["Content-Type"] == "application/pdf"
    text = pdf_to_text(response.content, tmp_path)
    assert "FACTURE N° F2026-000042" in text and "Lampe de chevet « Élise »" in text and "Maison Lumière SAS" in text


def _kill_converter() -> int:
    pid = converter.converter_pid()
    assert pid
    os.killpg(pid, signal.SIGKILL)
    while converter._alive(pid):  # wait until the kernel has it gone, not a fixed sleep
        time.sleep(0.05)
    return pid


def test_a_killed_converter_is_started_again_by_the_next_print(word_company, client_admin, tmp_path):
    first = make_order(word_company, LINES)
    invoice_print(order=first, by=client_admin)  # the converter runs
    killed = _kill_converter()

    second = make_order(word_company, LINES)
    text = pdf_to_text(invoice_print(order=second, by=client_admin).pdf, tmp_path)

    assert Invoice.objects.get(order=second).number in text
    assert converter.converter_pid() not in (None, killed)


def test_a_hung_conversion_is_killed_reported_and_the_next_print_works(word_company, client_admin, settings, tmp_path):
    order = make_order(word_company, LINES)
    invoice_print(order=order, by=client_admin)
    hung = converter.converter_pid()
    assert hung
    os.killpg(hung, signal.SIGSTOP)  # LibreOffice stops answering, as a hung conversion does
    settings.WORD_CONVERSION_TIMEOUT = 2

    with pytest.raises(InvoiceRenderFailed) as failed:
        invoice_print(order=order, by=client_admin)

    assert "LibreOffice did not convert the document within 2 s" in str(failed.value)
    assert Invoice.objects.get(order=order).printed_count == 1  # the failed print was not counted
    assert _reaped(hung)  # killed, not left hanging
    settings.WORD_CONVERSION_TIMEOUT = 30
    text = pdf_to_text(invoice_print(order=order, by=client_admin).pdf, tmp_path)
    assert Invoice.objects.get(order=order).number in text


def _reaped(pid: int) -> bool:
    deadline = time.monotonic() + 10
    while converter._alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not converter._alive(pid)


def test_without_libreoffice_the_settings_page_and_the_print_say_so(admin_client_for, word_company, settings):
    settings.WORD_CONVERTER_PYTHON = "/nonexistent/python3"
    order = make_order(word_company, LINES)

    page = admin_client_for.get(reverse("invoice_settings", args=[word_company.pk])).content.decode()
    response = admin_client_for.post(reverse("print_invoice", args=[order.pk]), follow=True)

    assert "Word to PDF cannot print on this server" in page and "LibreOffice not installed" in page
    number = Invoice.objects.get(order=order).number
    assert f"Invoice {number} is issued, but its PDF could not be made: Word to PDF cannot print on this server" in (
        response.content.decode()
    )
    assert "python3-uno" in response.content.decode()


@pytest.fixture
def admin_client_for(client, client_admin):
    client.force_login(client_admin)
    return client
