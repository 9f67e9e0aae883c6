"""An order's totals (SPEC S5): Subtotal, Shipping and Grand Total count only the lines not
cancelled, and their shipping, less their discounts (a replacement order's full discount makes
its Grand Total 0). The one place for that rule: the download (create, COPY and
update), `seed_orders` and the migration that corrected older orders all call `totals_of`."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

ZERO = Decimal("0.00")


class Line(Protocol):
    """An order line as the rule reads it: an OrderItem, or the channel's line before it is one."""

    @property
    def unit_price(self) -> Decimal: ...
    @property
    def quantity(self) -> int: ...
    @property
    def shipping(self) -> Decimal: ...
    @property
    def cancelled(self) -> bool: ...


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    shipping_total: Decimal
    grand_total: Decimal
    discount_total: Decimal = ZERO


def line_discount(line: Line) -> Decimal:
    """The line's discount. Only an OrderItem has one (a replacement order's lines); a channel's
    line before it is one never does, so the protocol does not ask for it."""
    discount = getattr(line, "discount", ZERO)
    return discount if isinstance(discount, Decimal) else ZERO


def line_amount(line: Line) -> Decimal:
    """What the customer pays for one line: its price times its quantity, and its shipping, less
    its discount."""
    return line.unit_price * line.quantity + line.shipping - line_discount(line)


def totals_of(lines: Iterable[Line]) -> Totals:
    live = [line for line in lines if not line.cancelled]
    subtotal = sum((line.unit_price * line.quantity for line in live), ZERO)
    shipping = sum((line.shipping for line in live), ZERO)
    discount = sum((line_discount(line) for line in live), ZERO)
    return Totals(
        subtotal=subtotal,
        shipping_total=shipping,
        grand_total=subtotal + shipping - discount,
        discount_total=discount,
    )
