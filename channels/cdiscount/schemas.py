"""Typed Octopia Seller API v2 payloads (reference/cdiscount-api.md sections 3.3 and 3.4).

Money is Decimal, datetimes are aware (UTC). parsing.py builds them from the API's JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


class OrderStatus(StrEnum):
    """Order `status` values (reference 3.8)."""

    PROCESSING = "Processing"
    WAITING_ACCEPTANCE = "WaitingAcceptance"
    ACCEPTED = "Accepted"
    REFUSED = "Refused"
    IN_PREPARATION = "InPreparation"
    SHIPPED = "Shipped"
    DELIVERED = "Delivered"
    REJECTED = "Rejected"
    CANCELLED = "Cancelled"


class LineStatus(StrEnum):
    """Line `status` values: the order vocabulary plus CancelRequest (reference 3.8)."""

    PROCESSING = "Processing"
    WAITING_ACCEPTANCE = "WaitingAcceptance"
    ACCEPTED = "Accepted"
    REFUSED = "Refused"
    IN_PREPARATION = "InPreparation"
    SHIPPED = "Shipped"
    DELIVERED = "Delivered"
    REJECTED = "Rejected"
    CANCELLED = "Cancelled"
    CANCEL_REQUEST = "CancelRequest"


# Lines that no longer travel with the order: never shipped, not in its totals. A line in
# CancelRequest still ships (the customer only asked).
CLOSED_LINE_STATUSES = frozenset({LineStatus.CANCELLED, LineStatus.REFUSED, LineStatus.REJECTED})


class OrderParseError(ValueError):
    """One order (or one page item) that does not have the documented shape."""

    def __init__(self, *, order_id: str | None, field: str, problem: str) -> None:
        self.order_id = order_id
        self.field = field
        self.problem = problem
        who = f"order {order_id}" if order_id else "order without a usable orderId"
        super().__init__(f"Malformed Cdiscount {who}: field {field}: {problem}")


@dataclass(frozen=True, slots=True)
class Address:
    """A billing or shipping address. Names only: the API gives no email or phone."""

    civility: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    company_vat_number: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    address_line3: str | None = None
    postal_code: str | None = None
    city: str | None = None
    state_or_region: str | None = None
    country_code: str | None = None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


@dataclass(frozen=True, slots=True)
class PricePair:
    """`totalPrice`: what the seller gets quoted (offerPrice) and what the customer pays (sellingPrice)."""

    offer_price: Decimal | None
    selling_price: Decimal | None


@dataclass(frozen=True, slots=True)
class Commission:
    amount_with_vat: Decimal | None
    amount_without_vat: Decimal | None
    rate: Decimal | None


@dataclass(frozen=True, slots=True)
class LinePrice:
    """`sellingPrice` or `offerPrice` of a line: unit price and per-line shipping, VAT included."""

    unit_sales_price: Decimal
    shipping_cost: Decimal
    commission: Commission | None = None


@dataclass(frozen=True, slots=True)
class Offer:
    id: str | None
    seller_product_id: str
    product_id: str | None
    product_gtin: str | None
    product_title: str | None
    condition: str | None
    supply_mode: str | None


@dataclass(frozen=True, slots=True)
class Delivery:
    mode: str | None
    promised_at_min: datetime | None
    promised_at_max: datetime | None
    shipped_at_max: datetime | None


@dataclass(frozen=True, slots=True)
class Parcel:
    parcel_number: str
    carrier_name: str | None
    tracking_url: str | None


@dataclass(frozen=True, slots=True)
class OrderLine:
    order_line_id: str
    status: LineStatus
    quantity: int
    offer: Offer
    selling_price: LinePrice
    offer_price: LinePrice | None
    total_price: PricePair | None
    delivery: Delivery | None
    shipping_address: Address | None
    parcels: tuple[Parcel, ...] = ()


@dataclass(frozen=True, slots=True)
class Order:
    """One Cdiscount order as the API gives it (GET /orders item or GET /orders/{orderId})."""

    order_id: str
    reference: str | None
    business_order: bool
    sales_channel_id: str | None
    sales_channel_name: str | None
    seller_id: str | None
    customer_reference: str | None
    purchased_at: datetime | None
    created_at: datetime
    updated_at: datetime
    shipped_at_max: datetime | None
    status: OrderStatus
    payment_method: str | None
    currency_code: str
    billing_address: Address | None
    total_price: PricePair | None
    lines: tuple[OrderLine, ...]

    @property
    def shipping_address(self) -> Address | None:
        """The shipping address lives on the lines and exists from InPreparation only."""
        for line in self.lines:
            if line.shipping_address is not None:
                return line.shipping_address
        return None

    @property
    def parcels(self) -> tuple[Parcel, ...]:
        """Distinct parcels over all lines (one per Cdiscount order once shipped)."""
        seen: dict[str, Parcel] = {}
        for line in self.lines:
            for parcel in line.parcels:
                seen.setdefault(parcel.parcel_number, parcel)
        return tuple(seen.values())


@dataclass(frozen=True, slots=True)
class PageItem:
    """One raw item of a page: the dict to store, and either the parsed order or why not."""

    raw: Any
    order: Order | None
    error: OrderParseError | None

    @property
    def order_id(self) -> str | None:
        if self.order is not None:
            return self.order.order_id
        return self.error.order_id if self.error is not None else None

    @property
    def ok(self) -> bool:
        return self.order is not None


@dataclass(frozen=True, slots=True)
class OrderPage:
    """One page of GET /orders. `raw_items` are kept as received; parsing.iter_page_items parses
    them one by one."""

    page_index: int
    page_size: int
    raw_items: list[Any]
    next_link: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_last(self) -> bool:
        # The API gives no total: a page shorter than the page size ends the list.
        return len(self.raw_items) < self.page_size


@dataclass(frozen=True, slots=True)
class Carrier:
    """One entry of GET /carriers; `label` is what shipments send as carrierName."""

    code: str | None
    label: str
    additional_parameters_required: bool
