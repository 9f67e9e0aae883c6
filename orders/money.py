"""Money typed by people, checked against the column that will hold it (SPEC S8, S12).

Every money column is DecimalField(max_digits=12, decimal_places=2) (orders.models.money): at
most 10 digits before the decimal point and 2 after. An amount outside that is refused here,
with a sentence for people, before it reaches the database: PostgreSQL would refuse the row
with a 500, and SQLite would store it and fail on every later read of the order.

The one rule for text is `^[0-9]{1,10}([.,][0-9]{1,2})?$` once trimmed: a French comma is fine;
exponents (`1E1`), signs, `NaN`, `Infinity`, underscores and digits other than 0-9 (Arabic-Indic
`١٢`, superscript `²`, which `Decimal()` or `str.isdigit()` take) are not. Forms use MoneyField;
services, which may be called from elsewhere (an import, a bulk action), re-check the Decimal
they are given with check_money.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms

__all__ = ["MAX_AMOUNT", "MoneyError", "MoneyField", "check_money", "money_text", "parse_money"]

MONEY_MAX_DIGITS = 12
MONEY_DECIMAL_PLACES = 2
INTEGER_DIGITS = MONEY_MAX_DIGITS - MONEY_DECIMAL_PLACES
CENT = Decimal(1).scaleb(-MONEY_DECIMAL_PLACES)
MAX_AMOUNT = Decimal(10**INTEGER_DIGITS) - CENT  # 9999999999.99

# [0-9], not \d: in Python \d matches every Unicode decimal digit.
MONEY_TEXT = re.compile(rf"[0-9]{{1,{INTEGER_DIGITS}}}(?:[.,][0-9]{{1,{MONEY_DECIMAL_PLACES}}})?")

_HINT = f"such as 12.50 (at most {INTEGER_DIGITS} digits before the decimal point and {MONEY_DECIMAL_PLACES} after)"


class MoneyError(ValueError):
    """An amount a money column cannot hold; str() is a sentence for people."""


def _invalid(label: str) -> MoneyError:
    return MoneyError(f"{label} must be an amount {_HINT}." if label else f"Enter an amount {_HINT}.")


def _negative(label: str) -> MoneyError:
    return MoneyError(f"{label} cannot be negative." if label else "Enter an amount of 0 or more, such as 12.50.")


def parse_money(text: str, *, label: str = "") -> Decimal:
    """The amount `text` writes, with 2 decimals; MoneyError when a money column cannot hold it.

    `label` names the amount in the message ("Shipping cost must be an amount such as 12.50 ...");
    without it the message asks for one ("Enter an amount such as 12.50 ..."), as under a form field.
    """
    text = text.strip()
    if MONEY_TEXT.fullmatch(text):
        return Decimal(text.replace(",", ".")).quantize(CENT)
    if text.startswith("-") and MONEY_TEXT.fullmatch(text[1:].strip()):
        raise _negative(label)
    raise _invalid(label)


def money_text(amount: Decimal, currency: str) -> str:
    """An amount as people read it, always with its cents: 164.30 EUR (never 164.3 EUR)."""
    return f"{amount.quantize(CENT)} {currency}"


def check_money(amount: Any, *, label: str) -> Decimal:
    """`amount` itself when it is a Decimal that a money column holds as it is, not negative.

    For services: their callers are not all forms. A float, NaN, Infinity, more than 2 decimals
    or more than 10 digits before the point raise MoneyError with the same message as parse_money.
    """
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise _invalid(label)
    if amount < 0:
        raise _negative(label)
    # The size first: quantize() of a huge number raises instead of answering.
    if amount > MAX_AMOUNT or amount != amount.quantize(CENT):
        raise _invalid(label)
    return amount


class MoneyField(forms.Field):
    """A form field for a money column: text checked by parse_money, cleaned to a Decimal.

    A text input (not type=number, whose browsers refuse a French comma and take exponents).
    """

    widget = forms.TextInput

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.setdefault("inputmode", "decimal")
        attrs.setdefault("size", 12)
        return attrs

    def to_python(self, value: Any) -> Decimal | None:
        text = "" if value is None else str(value).strip()
        if not text:
            return None  # then "This field is required." when it is
        try:
            return parse_money(text)
        except MoneyError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None
