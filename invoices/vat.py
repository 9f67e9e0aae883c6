"""Splitting VAT-inclusive prices into HT and TVA, line by line (pure functions, no database).

Marketplace prices include VAT. Per line: HT = round(TTC / (1 + rate), 2) and TVA = TTC - HT,
so each line adds up to its TTC to the cent, and so do the per-rate breakdown (the sum of its
lines) and the totals (the sum of the breakdown), whatever the rates and the rounding.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal("100")


def cents(value: Decimal) -> Decimal:
    """Rounded to the cent, halves away from zero (as accountants round)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def excluding_vat(ttc: Decimal, rate: Decimal) -> Decimal:
    """The HT of a VAT-inclusive amount at `rate` percent, to the cent."""
    return cents(ttc / (1 + rate / HUNDRED))


@dataclass(frozen=True)
class VatLine:
    """One printed line: `ttc` is what the customer paid for it, VAT included."""

    kind: str  # "item" or "shipping"
    designation: str
    sku: str
    quantity: int
    unit_price_ttc: Decimal
    rate: Decimal
    ttc: Decimal

    @property
    def ht(self) -> Decimal:
        return excluding_vat(self.ttc, self.rate)

    @property
    def vat(self) -> Decimal:
        return self.ttc - self.ht

    @property
    def unit_price_ht(self) -> Decimal:
        return excluding_vat(self.unit_price_ttc, self.rate)


@dataclass(frozen=True)
class RateTotal:
    """One row of the per-rate VAT breakdown."""

    rate: Decimal
    ht: Decimal
    vat: Decimal
    ttc: Decimal


def breakdown(lines: Iterable[VatLine]) -> list[RateTotal]:
    """The sums of the lines per VAT rate, lowest rate first."""
    per_rate: dict[Decimal, list[VatLine]] = {}
    for line in lines:
        per_rate.setdefault(line.rate, []).append(line)
    return [
        RateTotal(
            rate=rate,
            ht=sum((line.ht for line in group), Decimal("0.00")),
            vat=sum((line.vat for line in group), Decimal("0.00")),
            ttc=sum((line.ttc for line in group), Decimal("0.00")),
        )
        for rate, group in sorted(per_rate.items())
    ]


def pro_rata(amount: Decimal, weights: dict[Decimal, Decimal]) -> dict[Decimal, Decimal]:
    """`amount` split across the rates in proportion to `weights` (each rate's TTC), to the cent.

    Each part is rounded to the cent; what the rounding leaves over (a cent or two) goes to the
    largest part, so the parts always add up to `amount` exactly.
    """
    total = sum(weights.values(), Decimal("0"))
    if total <= 0:
        raise ValueError("Nothing to split the amount across: the weights add up to zero.")
    parts = {rate: cents(amount * weight / total) for rate, weight in weights.items()}
    largest = max(parts, key=lambda rate: (parts[rate], weights[rate]))
    parts[largest] += amount - sum(parts.values(), Decimal("0"))
    return parts
