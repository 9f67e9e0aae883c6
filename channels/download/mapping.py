"""Cdiscount -> our order: the mapping of SPEC S5, in one module, as pure functions.

Cdiscount order status                   create / update?                  Order Status   Payment            Shipping
Processing, WaitingAcceptance, Accepted  only with Allow UnPaid Order      In Process     none               Unshipped
InPreparation                            yes                               In Process     "Cdiscount", once  Unshipped
Shipped, Delivered                       yes (created if first seen so)    Completed      added if missing Shipped(***)
Refused, Rejected, Cancelled             update if we have it, else skip   Canceled (*)   unchanged          unchanged
a line in CancelRequest                  yes                               On Hold (**)   unchanged          unchanged

(*) Problem Order with a note if we shipped it.  (**) unless shipped; reason "customer cancellation request".
(***) Fully Shipped and Ship Confirmed; a package is made from the marketplace's parcel if we have none.

Change it only with a reason written here. What "who wins" means when our records disagree is
applied by channels.download.upsert, which uses these decisions.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from channels.cdiscount.schemas import CLOSED_LINE_STATUSES, Address, LineStatus, Order, OrderStatus
from orders.links import http_url_or_empty
from orders.text import search_text
from orders.totals import totals_of

UNPAID = frozenset({OrderStatus.PROCESSING, OrderStatus.WAITING_ACCEPTANCE, OrderStatus.ACCEPTED})
PAID = frozenset({OrderStatus.IN_PREPARATION})
SHIPPED = frozenset({OrderStatus.SHIPPED, OrderStatus.DELIVERED})
CANCELLED = frozenset({OrderStatus.REFUSED, OrderStatus.REJECTED, OrderStatus.CANCELLED})
# Money has come in for these (there is no "paid" flag in the API: the status implies it).
PAYMENT_IMPLIED = PAID | SHIPPED
# Lines that will not be shipped: left out of the parcel, and of a cancellation request key.

PAYMENT_OPERATION_TYPE = "Cdiscount"
CANCEL_REQUEST_HOLD_REASON = "customer cancellation request"


class Bucket(StrEnum):
    UNPAID = "unpaid"
    PAID = "paid"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


def bucket(status: OrderStatus) -> Bucket:
    if status in UNPAID:
        return Bucket.UNPAID
    if status in PAID:
        return Bucket.PAID
    if status in SHIPPED:
        return Bucket.SHIPPED
    return Bucket.CANCELLED


def skip_reason(*, status: OrderStatus, exists: bool, allow_unpaid: bool) -> str | None:
    """Why an order in this status is not imported (counted as skipped), or None to create or
    update it."""
    kind = bucket(status)
    if kind == Bucket.UNPAID and not allow_unpaid and not exists:
        return f"unpaid ({status}) and Allow UnPaid Order is off"
    if kind == Bucket.CANCELLED and not exists:
        return f"{status} before we ever saw it"
    return None


def imported_when_first_seen(*, status: str, allow_unpaid: bool) -> bool:
    """Whether a download creates an order it has never seen in this Cdiscount status: what a
    first download of a marketplace must import (the tests and `make soak` compare with it)."""
    try:
        known = OrderStatus(status)
    except ValueError:
        return False  # an unknown status is a SyncProblem, never an order
    return skip_reason(status=known, exists=False, allow_unpaid=allow_unpaid) is None


@dataclass(frozen=True)
class ItemData:
    channel_line_id: str
    sku: str
    channel_product_id: str
    ean: str
    title: str
    condition: str
    quantity: int
    unit_price: Decimal
    shipping: Decimal
    commission_with_vat: Decimal
    commission_without_vat: Decimal
    channel_line_status: str
    cancelled: bool  # Cancelled, Refused or Rejected: listed, but out of the totals


@dataclass(frozen=True)
class ParcelData:
    parcel_number: str
    carrier_name: str
    tracking_url: str


@dataclass(frozen=True)
class OrderData:
    """Our fields for one Cdiscount order, whatever our records say (the upsert decides)."""

    channel_order_id: str
    order_date: datetime
    channel_updated_at: datetime
    channel_status: str
    bucket: Bucket
    ship_by: datetime | None
    customer_reference: str
    customer_name: str
    search_name: str  # customer_name as search compares it (orders.text)
    business_order: bool
    buyer_vat_number: str
    billing_address: dict[str, str]
    shipping_address: dict[str, str] | None  # exists from InPreparation only
    delivery_mode: str
    currency: str
    subtotal: Decimal
    shipping_total: Decimal
    grand_total: Decimal
    commission_with_vat: Decimal
    commission_without_vat: Decimal
    payment_method: str
    items: tuple[ItemData, ...]
    # The customer cancellation request, as the sorted ids of its lines ("" when none).
    cancel_request: str
    parcel: ParcelData | None

    @property
    def payment_reference(self) -> str:
        """The Cdiscount payment's fixed reference: the database keeps it to one per order."""
        return f"cdiscount:{self.channel_order_id}"


def address_dict(address: Address | None) -> dict[str, str]:
    """Our address shape (orders.services.ADDRESS_FIELDS) from the API's."""
    if address is None:
        return {}
    values = {
        "civility": address.civility,
        "first_name": address.first_name,
        "last_name": address.last_name,
        "company": address.company_name,
        "line1": address.address_line1,
        "line2": address.address_line2,
        "line3": address.address_line3,
        "postal_code": address.postal_code,
        "city": address.city,
        "region": address.state_or_region,
        "country_code": address.country_code,
    }
    return {key: value or "" for key, value in values.items()}


def _buyer_vat_number(order: Order) -> str:
    """The business buyer's VAT number, from the billing address, else the shipping one."""
    for address in (order.billing_address, order.shipping_address):
        if address is not None and address.company_vat_number:
            return address.company_vat_number.strip()[:30]
    return ""


def _item(line: Any) -> ItemData:
    commission = line.offer_price.commission if line.offer_price is not None else None
    return ItemData(
        channel_line_id=line.order_line_id,
        sku=line.offer.seller_product_id,
        channel_product_id=line.offer.product_id or "",
        ean=line.offer.product_gtin or "",
        title=line.offer.product_title or "",
        condition=line.offer.condition or "",
        quantity=line.quantity,
        unit_price=line.selling_price.unit_sales_price,
        shipping=line.selling_price.shipping_cost,
        commission_with_vat=(commission.amount_with_vat if commission else None) or Decimal("0"),
        commission_without_vat=(commission.amount_without_vat if commission else None) or Decimal("0"),
        channel_line_status=str(line.status),
        cancelled=line.status in CLOSED_LINE_STATUSES,
    )


def map_order(order: Order) -> OrderData:
    """Everything we take from one Cdiscount order (money VAT included, as Cdiscount gives it)."""
    items = tuple(_item(line) for line in order.lines)
    live = [i for i in items if not i.cancelled]
    # From the lines, not Cdiscount's totalPrice: that still counts a cancelled line (SPEC S5).
    totals = totals_of(items)
    billing = address_dict(order.billing_address)
    shipping = address_dict(order.shipping_address) or None
    name_source = order.billing_address or order.shipping_address
    customer_name = name_source.full_name if name_source else ""
    deliveries = [line.delivery for line in order.lines if line.delivery is not None]
    ship_by = order.shipped_at_max or next((d.shipped_at_max for d in deliveries if d.shipped_at_max), None)
    cancel_lines = sorted(line.order_line_id for line in order.lines if line.status == LineStatus.CANCEL_REQUEST)
    parcels = order.parcels
    parcel = (
        ParcelData(
            parcel_number=parcels[0].parcel_number,
            carrier_name=parcels[0].carrier_name or "",
            # Kept only if http(s): we link it on Order Details. Anything else is dropped, not an
            # error: the order and its parcel still matter (issue 13).
            tracking_url=http_url_or_empty((parcels[0].tracking_url or "").strip()),
        )
        if parcels
        else None
    )
    return OrderData(
        channel_order_id=order.order_id,
        order_date=order.purchased_at or order.created_at,
        channel_updated_at=order.updated_at,
        channel_status=str(order.status),
        bucket=bucket(order.status),
        ship_by=ship_by,
        customer_reference=order.customer_reference or "",
        customer_name=customer_name,
        search_name=search_text(customer_name),
        business_order=bool(order.business_order),
        buyer_vat_number=_buyer_vat_number(order),
        billing_address=billing,
        shipping_address=shipping,
        delivery_mode=next((d.mode for d in deliveries if d.mode), "") or "",
        currency=order.currency_code,
        subtotal=totals.subtotal,
        shipping_total=totals.shipping_total,
        grand_total=totals.grand_total,
        commission_with_vat=sum((i.commission_with_vat for i in live), Decimal("0")),
        commission_without_vat=sum((i.commission_without_vat for i in live), Decimal("0")),
        payment_method=order.payment_method or "",
        items=items,
        cancel_request=",".join(cancel_lines),
        parcel=parcel,
    )
