"""VAT split per line (HT = round(TTC / (1 + rate), 2), TVA = TTC - HT), the per-rate breakdown
and totals that equal the order's grand total to the cent, with awkward amounts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from invoices.models import SkuVatRate
from invoices.services import invoice_issue, invoice_print
from invoices.vat import VatLine, breakdown, excluding_vat
from tests.invoices.conftest import make_order, pdf_text

D = Decimal


def line(ttc: str, rate: str, quantity: int = 1) -> VatLine:
    return VatLine("item", "x", "SKU", quantity, D(ttc) / quantity, D(rate), D(ttc))


@pytest.mark.parametrize(
    ("ttc", "rate", "ht", "vat"),
    [
        ("0.01", "20", "0.01", "0.00"),
        ("59.97", "20", "49.98", "9.99"),
        ("12.99", "5.5", "12.31", "0.68"),
        ("0.05", "5.5", "0.05", "0.00"),
        ("100.00", "0", "100.00", "0.00"),
    ],
)
def test_a_line_splits_into_ht_and_tva_that_add_up(ttc, rate, ht, vat):
    split = line(ttc, rate)

    assert (split.ht, split.vat) == (D(ht), D(vat))
    assert split.ht + split.vat == D(ttc)


def test_the_breakdown_sums_its_lines_per_rate():
    lines = [line("0.01", "20"), line("59.97", "20", 3), line("12.99", "5.5"), line("2.99", "5.5")]

    rates = breakdown(lines)

    assert [(r.rate, r.ht, r.vat, r.ttc) for r in rates] == [
        (D("5.5"), D("15.14"), D("0.84"), D("15.98")),
        (D("20"), D("49.99"), D("9.99"), D("59.98")),
    ]
    assert excluding_vat(D("19.99"), D("20")) == D("16.66")


@pytest.mark.parametrize(
    "lines",
    [
        [("PEN", "Stylo", 1, "0.01", "0.00")],
        [("MUG", "Mug « Café »", 3, "19.99", "0.00")],
        [("BOOK-1", "Livre", 1, "12.99", "2.99"), ("LAMP", "Lampe", 3, "19.99", "4.99")],
        [("BOOK-1", "Livre", 7, "0.33", "0.01"), ("LAMP", "Lampe", 1, "0.01", "0.01"), ("MUG", "Mug", 2, "3.33", "")],
    ],
    ids=["one-cent", "19.99x3", "5.5-and-20", "awkward-cents"],
)
def test_invoice_totals_equal_the_order_grand_total_to_the_cent(legal_company, client_admin, lines):
    SkuVatRate.objects.create(company=legal_company, sku="BOOK-1", rate="5.5")
    lines = [(*row[:4], row[4] or "0.00") for row in lines]
    order = make_order(legal_company, lines)

    snapshot = invoice_issue(order=order, by=client_admin).snapshot

    totals = snapshot["totals"]
    assert D(totals["ttc"]) == order.grand_total
    assert D(totals["ht"]) + D(totals["vat"]) == order.grand_total
    assert sum(D(r["ttc"]) for r in snapshot["vat_breakdown"]) == order.grand_total
    assert sum(D(r["vat"]) for r in snapshot["vat_breakdown"]) == D(totals["vat"])
    for printed in snapshot["lines"]:
        assert D(printed["ht"]) + D(printed["vat"]) == D(printed["ttc"])


def test_a_line_takes_its_skus_rate_and_its_shipping_the_lines_rate(legal_company, client_admin):
    SkuVatRate.objects.create(company=legal_company, sku="BOOK-1", rate="5.5")
    order = make_order(legal_company, [("BOOK-1", "Livre", 1, "10.55", "1.06"), ("LAMP", "Lampe", 1, "12.00", "6.00")])

    lines = invoice_issue(order=order, by=client_admin).snapshot["lines"]

    assert [(row["kind"], row["vat_rate"], row["ttc"]) for row in lines] == [
        ("item", "5.5", "10.55"),
        ("item", "20", "12.00"),
        ("shipping", "5.5", "1.06"),
        ("shipping", "20", "6.00"),
    ]


def test_cancelled_lines_are_not_invoiced(legal_company, client_admin):
    order = make_order(
        legal_company,
        [("LAMP", "Lampe", 1, "30.00", "5.00"), ("VASE", "Vase annulé", 1, "20.00", "3.00", "Cancelled")],
    )

    snapshot = invoice_issue(order=order, by=client_admin).snapshot

    assert [row["designation"] for row in snapshot["lines"] if row["kind"] == "item"] == ["Lampe"]
    assert snapshot["totals"]["ttc"] == "35.00"


def test_a_vat_franchise_company_charges_no_vat_and_prints_293_b(legal_company, client_admin):
    legal_company.vat_franchise = True
    legal_company.vat_number = ""
    legal_company.save()
    order = make_order(legal_company, [("MUG", "Mug émaillé", 3, "19.99", "4.99")])

    printed = invoice_print(order=order, by=client_admin)

    snapshot = printed.invoice.snapshot
    assert snapshot["totals"] == {
        "subtotal_ttc": "59.97",
        "shipping_ttc": "4.99",
        "ht": "64.96",
        "vat": "0.00",
        "ttc": "64.96",
    }
    text = pdf_text(printed.pdf)
    assert "TVA non applicable, art. 293 B du CGI" in text
    assert "FR44732829320" not in text
