"""Small display filters for order pages: a colour tone per status word, address lines."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()

# Status value -> CSS tone (status-ok, status-warn, ...). Display only: no rule lives here.
_TONES = {
    "in_process": "info",
    "on_hold": "warn",
    "problem": "bad",
    "completed": "ok",
    "canceled": "off",
    "no_payment": "off",
    "authorized": "info",
    "charged": "ok",
    "partial_payment": "warn",
    "partial_refund": "warn",
    "full_refund": "bad",
    "payment_error": "bad",
    "unshipped": "off",
    "partially_shipped": "warn",
    "fully_shipped": "ok",
    "pending": "info",
    "uploaded": "ok",
    "failed": "bad",
    "not_required": "off",
    "withdrawn": "off",
    # Invoices on the marketplace (orders.channel_registry.DocumentUpload).
    "importing": "info",
    "local": "off",
    # RMAs (orders.rma_choices): on_hold is shared with Order Status.
    "open": "info",
    "closed": "ok",
    "cancelled": "off",
    "not_received": "off",
    "partially_received": "warn",
    "received": "ok",
}


@register.filter
def tone(value: str) -> str:
    """The CSS tone of a status value: `<span class="status status-{{ v|tone }}">`."""
    return _TONES.get(str(value), "off")


@register.filter
def address_lines(address: dict[str, Any] | None) -> list[str]:
    """An address dict (orders.services.ADDRESS_FIELDS) as the lines of a label; escaped by the
    template like any other value."""
    if not address:
        return []
    a = {key: str(value or "").strip() for key, value in address.items()}
    name = " ".join(p for p in (a.get("civility"), a.get("first_name"), a.get("last_name")) if p)
    city = " ".join(p for p in (a.get("postal_code"), a.get("city")) if p)
    lines = [name, a.get("company", ""), a.get("line1", ""), a.get("line2", ""), a.get("line3", "")]
    lines += [city, a.get("region", ""), a.get("country_code", "")]
    return [line for line in lines if line]
