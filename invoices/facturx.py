"""Factur-X (issue 21): an invoice's PDF as PDF/A-3 with its CII XML embedded, profile EN 16931.

The XML is built from the snapshot alone (the document of record), with the invoice's own figures:
per line HT = round(TTC / (1 + rate), 2), per rate the sums of its lines, so a rate's VAT may
differ from base x rate by a cent, as the standard's rounding tolerance allows. A line's price is
given for its whole quantity (BT-149, price base quantity), so quantity x price is its HT exactly.
Credit notes are type 381 and name the invoice they correct (BT-25, BT-26).

`factur-x` (Akretion's library) checks the XML against the EN 16931 XSD and embeds it with the
XMP metadata the standard asks; WeasyPrint writes the PDF/A-3b (output intent, pdfaid:part 3).
This makes a Factur-X file, not a compliant e-invoice under the 2026-2027 French mandate: that
goes through an approved platform (plateforme agréée).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from lxml import etree

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}
EN16931 = "urn:cen.eu:en16931:2017"
PDF_VARIANT = "pdf/a-3b"
INVOICE, CREDIT_NOTE = "380", "381"
FRANCHISE_REASON = "TVA non applicable, art. 293 B du CGI"


class FacturXFailed(Exception):
    """The Factur-X XML or file could not be made (the message says why)."""


def _el(parent: Any, tag: str, text: str | None = None, **attrs: str) -> Any:
    prefix, name = tag.split(":")
    node = etree.SubElement(parent, f"{{{NSMAP[prefix]}}}{name}", attrs)
    if text is not None:
        node.text = text
    return node


def _date(parent: Any, tag: str, iso: str, *, qualified: bool = False) -> None:
    holder = _el(parent, tag)
    _el(holder, "qdt:DateTimeString" if qualified else "udt:DateTimeString", iso.replace("-", ""), format="102")


def _category(rate: str, seller: dict[str, Any]) -> str:
    # E: exempt (VAT franchise, art. 293 B); S: a standard or reduced rate; Z: zero rate.
    if seller.get("vat_franchise"):
        return "E"
    return "S" if Decimal(rate) else "Z"


def _percent(rate: str) -> str:
    return f"{Decimal(rate):.2f}"


def _address(parent: Any, postal: dict[str, str]) -> None:
    node = _el(parent, "ram:PostalTradeAddress")
    if postal.get("postal_code"):
        _el(node, "ram:PostcodeCode", postal["postal_code"])
    for key, tag in (("line1", "ram:LineOne"), ("line2", "ram:LineTwo")):
        if postal.get(key):
            _el(node, tag, postal[key])
    if postal.get("city"):
        _el(node, "ram:CityName", postal["city"])
    _el(node, "ram:CountryID", (postal.get("country_code") or "FR").upper())


def _seller_postal(seller: dict[str, Any]) -> dict[str, str]:
    """The seller's address as fields; snapshots before Factur-X kept printed lines only."""
    if seller.get("postal"):
        return seller["postal"]
    lines = list(seller.get("address") or [])
    last = lines[-1] if lines else ""
    code, _, city = last.partition(" ")
    return {"line1": lines[0] if len(lines) > 1 else "", "postal_code": code, "city": city, "country_code": "FR"}


def _buyer_postal(snapshot: dict[str, Any]) -> dict[str, str]:
    buyer = snapshot["buyer"]
    if buyer.get("postal"):
        return buyer["postal"]
    lines = snapshot.get("billing_address") or []
    country = lines[-1] if lines and len(lines[-1]) == 2 and lines[-1].isalpha() else "FR"
    return {"line1": lines[1] if len(lines) > 1 else "", "country_code": country}


def _parties(agreement: Any, snapshot: dict[str, Any]) -> None:
    seller, buyer = snapshot["seller"], snapshot["buyer"]
    party = _el(agreement, "ram:SellerTradeParty")
    _el(party, "ram:Name", seller.get("legal_name") or seller["name"])
    if seller.get("siren"):
        _el(_el(party, "ram:SpecifiedLegalOrganization"), "ram:ID", seller["siren"], schemeID="0002")
    _address(party, _seller_postal(seller))
    if seller.get("vat_number"):
        _el(_el(party, "ram:SpecifiedTaxRegistration"), "ram:ID", seller["vat_number"], schemeID="VA")
    party = _el(agreement, "ram:BuyerTradeParty")
    _el(party, "ram:Name", (buyer.get("is_business") and buyer.get("company")) or buyer["name"] or "Client")
    _address(party, _buyer_postal(snapshot))
    if buyer.get("vat_number"):
        _el(_el(party, "ram:SpecifiedTaxRegistration"), "ram:ID", buyer["vat_number"], schemeID="VA")
    if snapshot["order"].get("channel_order_id"):
        _el(
            _el(agreement, "ram:BuyerOrderReferencedDocument"),
            "ram:IssuerAssignedID",
            snapshot["order"]["channel_order_id"],
        )


def _line(transaction: Any, number: int, line: dict[str, Any], seller: dict[str, Any], currency: str) -> None:
    item = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
    _el(_el(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(number))
    product = _el(item, "ram:SpecifiedTradeProduct")
    if line.get("sku"):
        _el(product, "ram:SellerAssignedID", line["sku"])
    _el(product, "ram:Name", line["designation"] or line.get("sku") or "Article")
    price = _el(_el(item, "ram:SpecifiedLineTradeAgreement"), "ram:NetPriceProductTradePrice")
    _el(price, "ram:ChargeAmount", line["ht"])
    _el(price, "ram:BasisQuantity", str(line["quantity"]), unitCode="C62")
    _el(_el(item, "ram:SpecifiedLineTradeDelivery"), "ram:BilledQuantity", str(line["quantity"]), unitCode="C62")
    settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
    tax = _el(settlement, "ram:ApplicableTradeTax")
    _el(tax, "ram:TypeCode", "VAT")
    _el(tax, "ram:CategoryCode", _category(line["vat_rate"], seller))
    _el(tax, "ram:RateApplicablePercent", _percent(line["vat_rate"]))
    summation = _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
    _el(summation, "ram:LineTotalAmount", line["ht"])


def _settlement(transaction: Any, snapshot: dict[str, Any], type_code: str) -> None:
    seller, currency, totals = snapshot["seller"], snapshot["currency"], snapshot["totals"]
    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    _el(settlement, "ram:InvoiceCurrencyCode", currency)
    for rate in snapshot["vat_breakdown"]:
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:CalculatedAmount", rate["vat"])
        _el(tax, "ram:TypeCode", "VAT")
        category = _category(rate["rate"], seller)
        if category == "E":
            _el(tax, "ram:ExemptionReason", FRANCHISE_REASON)
        _el(tax, "ram:BasisAmount", rate["ht"])
        _el(tax, "ram:CategoryCode", category)
        if category == "E":
            _el(tax, "ram:ExemptionReasonCode", "VATEX-FR-FRANCHISE")
        _el(tax, "ram:RateApplicablePercent", _percent(rate["rate"]))
    paid = Decimal("0.00")
    if type_code == INVOICE:
        paid = min(sum((Decimal(p["amount"]) for p in snapshot.get("payments", [])), paid), Decimal(totals["ttc"]))
        _date(_el(settlement, "ram:SpecifiedTradePaymentTerms"), "ram:DueDateDateTime", snapshot["issue_date"])
    summation = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(summation, "ram:LineTotalAmount", totals["ht"])
    _el(summation, "ram:TaxBasisTotalAmount", totals["ht"])
    _el(summation, "ram:TaxTotalAmount", totals["vat"], currencyID=currency)
    _el(summation, "ram:GrandTotalAmount", totals["ttc"])
    _el(summation, "ram:TotalPrepaidAmount", f"{paid:.2f}")
    _el(summation, "ram:DuePayableAmount", f"{Decimal(totals['ttc']) - paid:.2f}")
    if type_code == CREDIT_NOTE:
        reference = _el(settlement, "ram:InvoiceReferencedDocument")
        _el(reference, "ram:IssuerAssignedID", snapshot["corrects"]["number"])
        _date(reference, "ram:FormattedIssueDateTime", snapshot["corrects"]["issue_date"], qualified=True)


def facturx_xml(snapshot: dict[str, Any]) -> bytes:
    """The CII XML (EN 16931) of an invoice's or a credit note's snapshot."""
    type_code = CREDIT_NOTE if snapshot.get("kind") == "credit_note" else INVOICE
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    context = _el(root, "rsm:ExchangedDocumentContext")
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", EN16931)
    document = _el(root, "rsm:ExchangedDocument")
    _el(document, "ram:ID", snapshot["number"])
    _el(document, "ram:TypeCode", type_code)
    _date(document, "ram:IssueDateTime", snapshot["issue_date"])
    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for number, line in enumerate(snapshot["lines"], start=1):
        _line(transaction, number, line, snapshot["seller"], snapshot["currency"])
    _parties(_el(transaction, "ram:ApplicableHeaderTradeAgreement"), snapshot)
    delivery = _el(transaction, "ram:ApplicableHeaderTradeDelivery")
    if snapshot.get("sale_date"):
        _date(_el(delivery, "ram:ActualDeliverySupplyChainEvent"), "ram:OccurrenceDateTime", snapshot["sale_date"])
    _settlement(transaction, snapshot, type_code)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def facturx_pdf(pdf: bytes, snapshot: dict[str, Any]) -> bytes:
    """`pdf` (a PDF/A-3b of the snapshot) with its XML embedded as factur-x.xml, checked against
    the EN 16931 XSD first. Raises FacturXFailed when the XML does not pass."""
    from facturx import generate_from_binary

    xml = facturx_xml(snapshot)
    try:
        return generate_from_binary(
            pdf, xml, flavor="factur-x", level="en16931", check_xsd=True, lang="fr-FR", xmp_compression=False
        )
    except Exception as exc:  # the library raises bare Exceptions for an XML that fails its XSD
        raise FacturXFailed(
            f"The Factur-X XML of {snapshot['number']} did not pass the EN 16931 schema: {exc}"
        ) from exc
