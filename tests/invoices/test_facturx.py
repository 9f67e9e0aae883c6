"""Factur-X (issue 21, point 1): a business order's invoice, once the company turns Factur-X on, is
a PDF/A-3 with its EN 16931 XML embedded; the XML passes the library's schema check and adds up to
what the PDF prints; its credit notes are type 381 naming their invoice."""

from __future__ import annotations

import io
from decimal import Decimal

import pikepdf
import pytest
from facturx import get_xml_from_pdf, xml_check_xsd
from lxml import etree

from invoices.credit_notes import credit_note_print
from invoices.models import FacturX, Invoice, InvoicePreference, InvoiceSettings, InvoiceType, SkuVatRate
from invoices.services import invoice_print
from orders.choices import Channel
from tests.invoices.conftest import make_order, pdf_text
from tests.invoices.test_credit_notes import refund

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
# A book at 5.5 % and two lamps at 20 %, with shipping: per line HT rounding makes the rates' VAT
# differ from base x rate by a cent.
LINES = [("BOOK", "Livre d'art", 3, "12.99", "0.00"), ("LAMP", "Lampe Élise", 2, "33.33", "4.99")]
BUSINESS = {
    "business_order": True,
    "buyer_vat_number": "FR32123456789",
    "billing_address": {
        "company": "Hôtel du Lac SARL",
        "line1": "2 quai des Brumes",
        "postal_code": "74000",
        "city": "Annecy",
        "country_code": "FR",
    },
}


@pytest.fixture
def factur_x_company(legal_company):
    InvoiceSettings.objects.create(company=legal_company, factur_x=True)
    InvoicePreference.objects.create(
        company=legal_company, channel=Channel.CDISCOUNT, invoice_type=InvoiceType.CHANNEL_SPECIFIC
    )
    SkuVatRate.objects.create(company=legal_company, sku="BOOK", rate=Decimal("5.5"))
    return legal_company


def amounts(node, path: str) -> list[Decimal]:
    return [Decimal(text) for text in node.xpath(f"{path}/text()", namespaces=NS)]


def embedded_xml(pdf: bytes):
    filename, xml = get_xml_from_pdf(pdf, check_xsd=False)
    assert filename == "factur-x.xml"
    return xml, etree.fromstring(xml)


def test_a_business_orders_invoice_is_a_factur_x_pdf_a3_whose_xml_adds_up_to_the_pdf(factur_x_company, client_admin):
    order = make_order(factur_x_company, LINES, **BUSINESS)

    printed = invoice_print(order=order, by=client_admin)

    with pikepdf.open(io.BytesIO(printed.pdf)) as pdf:
        assert pdf.open_metadata().get("pdfaid:part") == "3"
        assert len(pdf.Root.OutputIntents) == 1
        assert "factur-x.xml" in pdf.attachments
    xml, root = embedded_xml(printed.pdf)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert root.xpath("string(//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID)", namespaces=NS) == (
        "urn:cen.eu:en16931:2017"
    )
    assert root.xpath("string(//rsm:ExchangedDocument/ram:TypeCode)", namespaces=NS) == "380"
    assert root.xpath("string(//rsm:ExchangedDocument/ram:ID)", namespaces=NS) == printed.invoice.number
    buyer = root.xpath("//ram:BuyerTradeParty", namespaces=NS)[0]
    assert buyer.xpath("string(ram:Name)", namespaces=NS) == "Hôtel du Lac SARL"
    assert buyer.xpath("string(ram:SpecifiedTaxRegistration/ram:ID)", namespaces=NS) == "FR32123456789"

    # Recomputed from the XML: lines -> rates -> totals, and the totals are the PDF's.
    per_rate: dict[Decimal, Decimal] = {}
    for line in root.xpath("//ram:IncludedSupplyChainTradeLineItem", namespaces=NS):
        rate = amounts(line, ".//ram:ApplicableTradeTax/ram:RateApplicablePercent")[0]
        net = amounts(line, ".//ram:LineTotalAmount")[0]
        quantity, price = amounts(line, ".//ram:BilledQuantity")[0], amounts(line, ".//ram:ChargeAmount")[0]
        assert quantity * price / amounts(line, ".//ram:BasisQuantity")[0] == net
        per_rate[rate] = per_rate.get(rate, Decimal("0")) + net
    header = root.xpath("//ram:ApplicableHeaderTradeSettlement", namespaces=NS)[0]
    taxes = header.xpath("ram:ApplicableTradeTax", namespaces=NS)
    assert {amounts(t, "ram:RateApplicablePercent")[0]: amounts(t, "ram:BasisAmount")[0] for t in taxes} == per_rate
    for tax in taxes:  # each rate's VAT is within a cent of base x rate per line rounding
        basis, vat, rate = (
            amounts(tax, p)[0] for p in ("ram:BasisAmount", "ram:CalculatedAmount", "ram:RateApplicablePercent")
        )
        assert abs(vat - basis * rate / 100) <= Decimal("0.02")
    total = header.xpath("ram:SpecifiedTradeSettlementHeaderMonetarySummation", namespaces=NS)[0]
    ht, vat, ttc = (
        amounts(total, p)[0] for p in ("ram:TaxBasisTotalAmount", "ram:TaxTotalAmount", "ram:GrandTotalAmount")
    )
    assert ht == sum(per_rate.values()) == amounts(total, "ram:LineTotalAmount")[0]
    assert vat == sum(amounts(t, "ram:CalculatedAmount")[0] for t in taxes)
    assert ttc == ht + vat == order.grand_total
    assert amounts(total, "ram:DuePayableAmount")[0] == 0  # paid at the order
    text = pdf_text(printed.pdf)
    for label, value in (("Total HT", ht), ("Total TVA", vat), ("Total TTC", ttc)):
        assert f"{label} {value:.2f}".replace(".", ",") + " €" in text


def test_a_consumer_order_stays_a_plain_pdf_unless_the_channel_takes_every_order(factur_x_company, client_admin):
    consumer = make_order(factur_x_company, LINES)
    assert (
        "factur-x.xml" not in pikepdf.open(io.BytesIO(invoice_print(order=consumer, by=client_admin).pdf)).attachments
    )

    InvoicePreference.objects.filter(company=factur_x_company).update(factur_x=FacturX.ALL)
    another = make_order(factur_x_company, LINES)
    xml, _ = embedded_xml(invoice_print(order=another, by=client_admin).pdf)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")


def test_nothing_is_factur_x_until_the_company_turns_it_on_and_an_issued_invoice_keeps_its_kind(
    factur_x_company, client_admin
):
    InvoiceSettings.objects.filter(company=factur_x_company).update(factur_x=False)
    order = make_order(factur_x_company, LINES, **BUSINESS)
    first = invoice_print(order=order, by=client_admin)
    assert "factur-x.xml" not in pikepdf.open(io.BytesIO(first.pdf)).attachments

    InvoiceSettings.objects.filter(company=factur_x_company).update(factur_x=True)
    again = invoice_print(order=order, by=client_admin)  # a document of record: printed as issued
    assert "factur-x.xml" not in pikepdf.open(io.BytesIO(again.pdf)).attachments
    assert again.invoice.number == first.invoice.number


def test_the_credit_note_of_a_factur_x_invoice_is_type_381_naming_its_invoice(
    factur_x_company, client_admin, django_capture_on_commit_callbacks
):
    order = make_order(factur_x_company, LINES, **BUSINESS)
    invoice = invoice_print(order=order, by=client_admin).invoice
    with django_capture_on_commit_callbacks(execute=True):
        refund(order, "20.00", by=client_admin)
    note = Invoice.objects.get(order=order, kind=Invoice.Kind.CREDIT_NOTE)

    xml, root = embedded_xml(credit_note_print(credit_note=note, by=client_admin).pdf)

    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert root.xpath("string(//rsm:ExchangedDocument/ram:TypeCode)", namespaces=NS) == "381"
    reference = root.xpath("//ram:InvoiceReferencedDocument", namespaces=NS)[0]
    assert reference.xpath("string(ram:IssuerAssignedID)", namespaces=NS) == invoice.number
    summation = root.xpath("//ram:SpecifiedTradeSettlementHeaderMonetarySummation", namespaces=NS)[0]
    ht, vat, ttc = (
        amounts(summation, p)[0] for p in ("ram:TaxBasisTotalAmount", "ram:TaxTotalAmount", "ram:GrandTotalAmount")
    )
    assert ttc == ht + vat == Decimal("20.00")
    assert ht == sum(amounts(root, "//ram:IncludedSupplyChainTradeLineItem//ram:LineTotalAmount"))
