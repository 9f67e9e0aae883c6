"""What a download writes for an order it has never seen (SPEC S5, first sight).

One builder, `new_order`, decides every row of a new order from the channel's data alone (no local
decision can exist yet): used both for one order (upsert) and for a page of new orders at once
(`new_orders_save`, a handful of bulk INSERTs instead of a few statements per order, which is
what keeps a large download close to the cost of merely fetching it: SPEC S11).
"""

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from channels.models import CdiscountAccount
from orders.choices import Channel, HoldSource, OrderStatus, ShippingStatus, UploadStatus
from orders.events import hold_set_event
from orders.holds import hold_values
from orders.models import ChannelPayload, Order, OrderEvent, OrderItem, Package, Payment
from orders.payments import payment_status_from
from sellercloud.db import bulk_insert, replan_foreign_key_checks, unsaved

from ..events import SOURCE, order_downloaded_event, payment_recorded_event, ship_confirmed_event
from .mapping import CANCEL_REQUEST_HOLD_REASON, PAYMENT_OPERATION_TYPE, Bucket, ItemData, OrderData

# Order fields taken from the channel as they are, each time they change.
CHANNEL_FIELDS = (
    "channel_status",
    "channel_updated_at",
    "ship_by",
    "customer_reference",
    "customer_name",
    "search_name",
    "business_order",
    "buyer_vat_number",
    "billing_address",
    "delivery_mode",
    "currency",
    "subtotal",
    "shipping_total",
    "grand_total",
    "commission_with_vat",
    "commission_without_vat",
)
ITEM_FIELDS = tuple(f for f in ItemData.__dataclass_fields__ if f != "channel_line_id")


def item_values(item: ItemData) -> dict[str, Any]:
    return {name: getattr(item, name) for name in ITEM_FIELDS}


@dataclass
class NewOrder:
    """The unsaved rows of one new order."""

    order: Order
    items: list[OrderItem] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    packages: list[Package] = field(default_factory=list)
    payloads: list[ChannelPayload] = field(default_factory=list)
    events: list[OrderEvent] = field(default_factory=list)

    def children(self) -> list[list[Any]]:
        return [self.items, self.payments, self.packages, self.payloads, self.events]


def new_order(*, account: CdiscountAccount, data: OrderData, raw: Any, sha256: str) -> NewOrder:
    """Every row the first download of this order writes, decided by SPEC S5's table."""
    order = unsaved(
        Order,
        company_id=account.company_id,
        channel=Channel.CDISCOUNT,
        channel_account=account,
        channel_order_id=data.channel_order_id,
        order_date=data.order_date,
        status=OrderStatus.IN_PROCESS,
        shipping_address=data.shipping_address or {},
        channel_payload_sha256=sha256,
        **{name: getattr(data, name) for name in CHANNEL_FIELDS},
    )
    new = NewOrder(order=order)
    new.items = [
        unsaved(OrderItem, order=order, channel_line_id=i.channel_line_id, **item_values(i)) for i in data.items
    ]
    new.payloads = [unsaved(ChannelPayload, order=order, raw=raw, sha256=sha256)]
    new.events.append(order_downloaded_event(order=order, channel_status=data.channel_status, commit=False))
    if data.bucket in (Bucket.PAID, Bucket.SHIPPED) and data.grand_total > 0:
        payment = payment_for(order=order, data=data)
        new.payments.append(payment)
        order.payment_status = payment_status_from(payments=[payment], refunds=[], grand_total=data.grand_total)
        new.events.append(payment_event(order=order, data=data, commit=False))
    if data.bucket == Bucket.SHIPPED:
        order.status = OrderStatus.COMPLETED
        order.shipping_status = ShippingStatus.FULLY_SHIPPED
        order.ship_confirmed_at = data.channel_updated_at
        new.events.append(ship_confirmed_event(order=order, channel_status=data.channel_status, commit=False))
        if data.parcel is not None:
            new.packages.append(package_for_parcel(order=order, data=data, time_zone=account.company.time_zone))
    elif data.cancel_request:
        hold = hold_values(
            status_before=order.status,
            reason=CANCEL_REQUEST_HOLD_REASON,
            source=HoldSource.CHANNEL,
            channel_request=data.cancel_request,
        )
        for name, value in hold.items():
            setattr(order, name, value)
        new.events.append(
            hold_set_event(
                order=order,
                by=None,
                source=SOURCE,
                reason=CANCEL_REQUEST_HOLD_REASON,
                status_before=hold["status_before_hold"],
                channel_request=data.cancel_request,
                commit=False,
            )
        )
    return new


def payment_for(*, order: Order, data: OrderData) -> Payment:
    """The Cdiscount payment: the grand total, keyed by a fixed reference (added once)."""
    return unsaved(
        Payment,
        order=order,
        operation_type=PAYMENT_OPERATION_TYPE,
        method=data.payment_method,
        amount=data.grand_total,
        currency=data.currency,
        paid_at=data.channel_updated_at,
        reference=data.payment_reference,
    )


def payment_event(*, order: Order, data: OrderData, commit: bool = True) -> OrderEvent:
    return payment_recorded_event(
        order=order, amount=data.grand_total, currency=data.currency, reference=data.payment_reference, commit=commit
    )


def package_for_parcel(*, order: Order, data: OrderData, time_zone: str) -> Package:
    """Our package for the marketplace's parcel: already on the marketplace, so Uploaded. Its ship
    date is the day of the marketplace's update in the company's `time_zone`, as Ship Order's is."""
    assert data.parcel is not None
    return unsaved(
        Package,
        order=order,
        carrier=data.parcel.carrier_name or "Unknown",
        tracking_number=data.parcel.parcel_number[:50],
        tracking_url=data.parcel.tracking_url[:500],
        ship_date=timezone.localtime(data.channel_updated_at, ZoneInfo(time_zone)).date(),
        upload_status=UploadStatus.UPLOADED,
        uploaded_at=timezone.now(),
        source=SOURCE,
    )


def new_orders_save(new_orders: list[NewOrder]) -> None:
    """Insert new orders and their rows with one COPY (or INSERT) per table.

    Raises IntegrityError when one of the orders already exists (another worker created it since
    we looked): the caller, inside a savepoint, then applies those orders one by one.
    """
    if not new_orders:
        return
    if len(new_orders) > 1:
        replan_foreign_key_checks()
    bulk_insert([n.order for n in new_orders])
    per_table: list[list[Any]] = [[], [], [], [], []]
    for new in new_orders:
        for rows, bucket in zip(new.children(), per_table, strict=True):
            for row in rows:
                row.order = new.order  # now that it has its id
            bucket.extend(rows)
    for rows in per_table:
        bulk_insert(rows)
