"""Filters of the invoice templates: amounts and dates as each layout writes them."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from urllib.parse import quote

from django import template
from django.conf import settings

register = template.Library()


def _decimal(value: object) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


@register.filter
def fr_money(value: object) -> str:
    """ "1234.5" -> "1 234,50" (French: narrow no-break space for thousands, comma for cents)."""
    amount = _decimal(value)
    if amount is None:
        return ""
    return f"{amount:,.2f}".replace(",", "\u202f").replace(".", ",")


@register.filter
def en_money(value: object) -> str:
    """ "1234.5" -> "1,234.50"."""
    amount = _decimal(value)
    return "" if amount is None else f"{amount:,.2f}"


@register.filter
def fr_rate(value: object) -> str:
    """ "5.5" -> "5,5" """
    return str(value).replace(".", ",")


@register.filter
def dmy(value: object) -> str:
    """An ISO date "2026-12-02" (or the date of an ISO date-time) -> "02/12/2026"; anything else as is."""
    text = str(value or "")
    year, month, day = text[0:4], text[5:7], text[8:10]
    if len(text) >= 10 and text[4] == text[7] == "-" and (year + month + day).isdigit():
        return f"{day}/{month}/{year}"
    return text


@register.filter
def media_url(name: object) -> str:
    """The URL of a stored file (a company logo), for the offline fetcher to serve."""
    return "/" + settings.MEDIA_URL.strip("/") + "/" + quote(str(name))
