"""The sample invoice a Word template is tried on at upload and previewed with: the company's
own seller block, a fictional French customer, and lines with accents and two VAT rates."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from django.utils import timezone

from sellercloud.models import Company

from ..snapshot import breakdown_block, line_block, seller_block, totals_of
from ..vat import VatLine, breakdown

# Built by invoices/word/sample_docx.py; also offered for download on Invoice Settings.
SAMPLE_TEMPLATE = Path(__file__).resolve().parents[2] / "static" / "invoices" / "word" / "facture-exemple.docx"

_LAMP, _BOOK = "Lampe de chevet « Élise », laiton brossé", "Le Petit Prince — édition illustrée"
_LINES = [
    VatLine("item", _LAMP, "LAMP-7", 2, Decimal("49.90"), Decimal("20"), Decimal("99.80")),
    VatLine("item", _BOOK, "BOOK-1", 1, Decimal("12.99"), Decimal("5.5"), Decimal("12.99")),
    VatLine("shipping", "Frais de livraison", "", 1, Decimal("4.99"), Decimal("20"), Decimal("4.99")),
]
_ADDRESS = ["Hélène Lefèvre", "3 rue Pasteur", "69003 Lyon", "France"]


def sample_snapshot(company: Company) -> dict[str, Any]:
    """A snapshot shaped like an issued invoice's (invoices.snapshot), on made-up order data."""
    today = timezone.localdate().isoformat()
    rates = breakdown(_LINES)
    return {
        "number": "F2026-000042",
        "invoice_type": "word",
        "currency": "EUR",
        "issue_date": today,
        "sale_date": today,
        "seller": seller_block(company),
        "buyer": {"name": "Hélène Lefèvre", "reference": "", "company": "", "vat_number": "", "is_business": False},
        "billing_address": _ADDRESS,
        "shipping_address": _ADDRESS,
        "order": {
            "id": 1042,
            "channel": "cdiscount",
            "channel_label": "Cdiscount",
            "channel_order_id": "2605141234ABCD",
            "order_date": today,
        },
        "lines": [line_block(line) for line in _LINES],
        "vat_breakdown": breakdown_block(rates),
        "totals": totals_of(_LINES, rates),
        "payments": [{"label": "Cdiscount", "date": today, "amount": totals_of(_LINES, rates)["ttc"]}],
        "refunds": [],
    }
