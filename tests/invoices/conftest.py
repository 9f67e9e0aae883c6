"""Fixtures of the invoice tests: a company with complete legal details, paid orders with chosen
lines, a pinned clock, and the text of a PDF read back with pypdf."""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from orders.choices import Channel
from orders.models import Order
from orders.payments import order_refresh_payment_status
from sellercloud.models import LegalForm
from tests.factories import CompanyFactory, OrderFactory, OrderItemFactory, PaymentFactory

# 23:30 UTC on 31 December is already 1 January in Paris: the series is the company's year.
PINNED = datetime(2026, 12, 31, 23, 30, tzinfo=ZoneInfo("UTC"))

LEGAL = {
    "name": "Maison Lumière SAS",
    "legal_name": "Maison Lumière SAS",
    "address_line1": "18 rue des Francs-Bourgeois",
    "postal_code": "75003",
    "city": "Paris",
    "vat_number": "FR44732829320",
    "siret": "73282932000017",
    "legal_form": LegalForm.COMPANY,
    "company_type": "SAS",
    "share_capital": Decimal("20000.00"),
    "rcs_city": "Paris",
    "invoice_footer": "Service client : bonjour@maison-lumiere.example",
}


@pytest.fixture
def pinned_clock(monkeypatch):
    """Every timezone.now() of the test is PINNED."""
    monkeypatch.setattr("django.utils.timezone.now", lambda: PINNED)
    return PINNED


@pytest.fixture
def legal_company(db):
    return CompanyFactory(**LEGAL)


def make_order(company, lines, *, channel=Channel.CDISCOUNT, pay=True, **fields) -> Order:
    """A paid order whose totals are its lines': each line (sku, title, qty, unit price TTC,
    shipping TTC[, channel line status])."""
    live = [line for line in lines if (line[5] if len(line) > 5 else "") not in ("Cancelled",)]
    subtotal = sum((Decimal(p) * q for _, _, q, p, *_ in live), Decimal("0.00"))
    shipping = sum((Decimal(line[4]) for line in live), Decimal("0.00"))
    order = OrderFactory(
        company=company,
        channel=channel,
        subtotal=subtotal,
        shipping_total=shipping,
        grand_total=subtotal + shipping,
        **fields,
    )
    for line in lines:
        sku, title, quantity, price, ship = line[:5]
        status = line[5] if len(line) > 5 else "InPreparation"
        OrderItemFactory(
            order=order,
            sku=sku,
            title=title,
            quantity=quantity,
            unit_price=Decimal(price),
            shipping=Decimal(ship),
            channel_line_status=status,
            cancelled=status in ("Cancelled", "Refused", "Rejected"),  # as the download sets it
        )
    if pay:
        PaymentFactory(order=order, amount=order.grand_total, reference=f"cd-{order.channel_order_id}")
        order_refresh_payment_status(order=order)
    return order


def pdf_text(pdf: bytes) -> str:
    """The text of every page, spaces squeezed (pypdf keeps the layout's spacing)."""
    assert pdf.startswith(b"%PDF")
    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())
