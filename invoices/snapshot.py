"""The snapshot of an invoice: everything it prints, taken from the order and the company once,
at issue (SPEC S9). Later prints render this, never the order again.

Money is kept as strings ("19.99"): JSON has no decimals, and floats would lose cents.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from orders.models import Order, OrderItem
from orders.templatetags.order_tags import address_lines
from sellercloud.models import Company, LegalForm

from .legal import siren_of
from .models import SkuVatRate
from .vat import RateTotal, VatLine, breakdown

ZERO = Decimal("0.00")
POSTAL_FIELDS = ("line1", "line2", "postal_code", "city", "country_code")


def invoiced_items(order: Order) -> list[OrderItem]:
    """The order's lines an invoice lists: all but the cancelled ones, which are out of the
    order's totals too (SPEC S5, orders.totals)."""
    return [item for item in order.items.all() if not item.cancelled]


def vat_lines(order: Order, company: Company) -> list[VatLine]:
    """The printed lines: one per item at its SKU's rate (else the company's), then the shipping,
    one line per rate, each item's shipping at its item's rate. A VAT franchise charges none."""
    items = invoiced_items(order)
    rates = dict(SkuVatRate.objects.filter(company=company, sku__in={i.sku for i in items}).values_list("sku", "rate"))
    shipping_per_rate: dict[Decimal, Decimal] = {}
    lines = []
    for item in items:
        rate = Decimal("0") if company.vat_franchise else rates.get(item.sku, company.default_vat_rate)
        lines.append(
            VatLine("item", item.title or item.sku, item.sku, item.quantity, item.unit_price, rate, item.line_total)
        )
        if item.shipping:
            shipping_per_rate[rate] = shipping_per_rate.get(rate, ZERO) + item.shipping
    for rate, ttc in sorted(shipping_per_rate.items()):
        lines.append(VatLine("shipping", "Frais de livraison", "", 1, ttc, rate, ttc))
    return lines


def money_text(value: Decimal) -> str:
    return f"{value:.2f}"


def rate_text(value: Decimal) -> str:
    # 20.00 -> "20", 5.50 -> "5.5": as rates are written on invoices.
    return format(value.normalize(), "f") if value else "0"


def local_date(value: datetime | None, zone: ZoneInfo) -> str:
    return timezone.localtime(value, zone).date().isoformat() if value else ""


def sale_date(order: Order, zone: ZoneInfo) -> str:
    """The date of sale: the ship date once shipped, the order date until then."""
    ship_dates: list[date] = [p.ship_date for p in order.packages.all()]
    if ship_dates:
        return min(ship_dates).isoformat()
    if order.ship_confirmed_at:
        return local_date(order.ship_confirmed_at, zone)
    return local_date(order.order_date, zone)


def seller_block(company: Company) -> dict[str, Any]:
    """The seller's legal identity as printed."""
    return {
        "name": company.name,
        "legal_name": company.legal_name,
        "address": [
            line
            for line in (company.address_line1, company.address_line2, f"{company.postal_code} {company.city}".strip())
            if line
        ],
        "country_code": company.country_code,
        # The same address as fields, for the Factur-X XML.
        "postal": {
            "line1": company.address_line1,
            "line2": company.address_line2,
            "postal_code": company.postal_code,
            "city": company.city,
            "country_code": company.country_code,
        },
        "siret": company.siret,
        "siren": siren_of(company.siret),
        "vat_number": "" if company.vat_franchise else company.vat_number,
        "vat_franchise": company.vat_franchise,
        "legal_form": company.legal_form,
        "is_sole_trader": company.legal_form == LegalForm.SOLE_TRADER,
        "company_type": company.company_type,
        "share_capital": money_text(company.share_capital) if company.share_capital is not None else "",
        "rcs_city": company.rcs_city,
        "footer": company.invoice_footer,
        "logo": company.logo.name if company.logo else "",
    }


def buyer_block(order: Order) -> dict[str, Any]:
    """The buyer. A business buyer gets the B2B mentions: for a marketplace order, what the
    marketplace says (Cdiscount's businessOrder, kept by the download with the buyer's VAT
    number); for an order of our own, a company name on the billing address."""
    billing = order.billing_address or {}
    company_name = str(billing.get("company") or "").strip()
    is_business = order.business_order if order.channel_account_id else bool(company_name)
    return {
        "name": order.customer_name,
        "reference": order.customer_reference,
        "company": company_name,
        "vat_number": order.buyer_vat_number or str(billing.get("vat_number") or "").strip(),
        "is_business": is_business,
        # The billing address as fields, for the Factur-X XML.
        "postal": {
            key: str(billing.get(key) or "").strip()
            for key in ("line1", "line2", "postal_code", "city", "country_code")
        },
    }


def line_block(line: VatLine) -> dict[str, Any]:
    return {
        "kind": line.kind,
        "designation": line.designation,
        "sku": line.sku,
        "quantity": line.quantity,
        "unit_price_ttc": money_text(line.unit_price_ttc),
        "unit_price_ht": money_text(line.unit_price_ht),
        "vat_rate": rate_text(line.rate),
        "ht": money_text(line.ht),
        "vat": money_text(line.vat),
        "ttc": money_text(line.ttc),
    }


def breakdown_block(rates: list[RateTotal]) -> list[dict[str, str]]:
    """The per-rate VAT breakdown as printed."""
    return [
        {"rate": rate_text(r.rate), "ht": money_text(r.ht), "vat": money_text(r.vat), "ttc": money_text(r.ttc)}
        for r in rates
    ]


def totals_of(lines: list[VatLine], rates: list[RateTotal]) -> dict[str, str]:
    return {
        "subtotal_ttc": money_text(sum((line.ttc for line in lines if line.kind == "item"), ZERO)),
        "shipping_ttc": money_text(sum((line.ttc for line in lines if line.kind == "shipping"), ZERO)),
        "ht": money_text(sum((r.ht for r in rates), ZERO)),
        "vat": money_text(sum((r.vat for r in rates), ZERO)),
        "ttc": money_text(sum((r.ttc for r in rates), ZERO)),
    }


def build_snapshot(*, order: Order, company: Company, issued_at: datetime, number: str, invoice_type: str) -> dict:
    """Everything an invoice of `order` prints, as of now."""
    zone = ZoneInfo(company.time_zone)
    lines = vat_lines(order, company)
    rates = breakdown(lines)
    return {
        "number": number,
        "invoice_type": invoice_type,
        "currency": order.currency,
        "issued_at": issued_at.isoformat(),
        "issue_date": local_date(issued_at, zone),
        "sale_date": sale_date(order, zone),
        "seller": seller_block(company),
        "buyer": buyer_block(order),
        "billing_address": address_lines(order.billing_address),
        "shipping_address": address_lines(order.shipping_address or order.billing_address),
        "order": {
            "id": order.pk,
            "channel": order.channel,
            "channel_label": order.get_channel_display(),
            "channel_order_id": order.channel_order_id,
            "order_date": local_date(order.order_date, zone),
        },
        "lines": [line_block(line) for line in lines],
        "vat_breakdown": breakdown_block(rates),
        "totals": totals_of(lines, rates),
        "payments": [
            {"label": p.operation_type, "date": local_date(p.paid_at, zone), "amount": money_text(p.amount)}
            for p in order.payments.all()
        ],
        "refunds": [
            {
                "label": r.get_refund_method_display() or "Refund",
                "date": r.refund_date.isoformat(),
                "amount": money_text(r.amount),
            }
            for r in order.refunds.all()
        ],
    }
