"""Profit & Loss of one order (SPEC S8): one function, shown line by line on Order Details."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .choices import PaymentState, UploadStatus
from .models import ZERO, Order

CENT = Decimal("0.01")


@dataclass(frozen=True)
class PLLine:
    label: str
    excl_vat: Decimal
    incl_vat: Decimal | None


@dataclass(frozen=True)
class ProfitAndLoss:
    currency: str
    vat_rate: Decimal
    revenue: PLLine
    refunds: PLLine
    commission: PLLine
    shipping_cost: PLLine
    profit: Decimal

    @property
    def lines(self) -> list[PLLine]:
        return [self.revenue, self.refunds, self.commission, self.shipping_cost]


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def order_profit_and_loss(*, order: Order) -> ProfitAndLoss:
    """Revenue excl. VAT, minus refunds excl. VAT, minus the channel commission excl. VAT, minus
    the shipping cost of the packages (0 until shipped) = profit. Amounts incl. VAT are kept
    beside each line for reference. Reads order.payments / refunds / packages (prefetch them)."""
    rate = order.company.default_vat_rate
    divisor = 1 + rate / 100
    # What the customer paid, or the grand total while nothing is charged. Equal to the grand total
    # except after a cancellation the channel refunded: the refund below takes that part out once.
    charged = sum((p.amount for p in order.payments.all() if p.state == PaymentState.CHARGED), ZERO)
    paid = charged or order.grand_total
    refunded = sum((r.amount for r in order.refunds.all()), ZERO)
    shipping = sum(
        (p.shipping_cost for p in order.packages.all() if p.upload_status != UploadStatus.WITHDRAWN),
        ZERO,
    )
    revenue = PLLine("Revenue", _cents(paid / divisor), paid)
    refunds = PLLine("Refunds", _cents(refunded / divisor), refunded)
    commission = PLLine("Channel commission", order.commission_without_vat, order.commission_with_vat)
    # Our carrier invoice: no VAT split is known for it, so it counts as it is.
    shipping_cost = PLLine("Shipping cost", shipping, None)
    profit = revenue.excl_vat - refunds.excl_vat - commission.excl_vat - shipping_cost.excl_vat
    return ProfitAndLoss(
        currency=order.currency,
        vat_rate=rate,
        revenue=revenue,
        refunds=refunds,
        commission=commission,
        shipping_cost=shipping_cost,
        profit=profit,
    )
