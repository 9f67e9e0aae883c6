"""Apply one downloaded Cdiscount order to our records: the upsert of SPEC S5.

Keyed by (account, Cdiscount orderId), which the database keeps unique: two workers creating the
same order at once end with one row (the loser's insert fails on the constraint, and it then
updates the row the winner made). Each order is applied in its own transaction under its row
lock, so a failure leaves that order as it was and the run goes on with the next.

Who wins (SPEC S5): a local decision beats later channel data that contradicts it. An order we
cancelled stays Canceled (Problem Order if the channel reports it shipped); a user's hold is never
released here; a hold set for a customer cancellation request is not set again once a user
released it for that same request; Shipped beats CancelRequest.
"""

import hashlib
import json
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from channels.cdiscount import schemas
from channels.models import CdiscountAccount
from orders import hooks
from orders.choices import HoldSource, OrderStatus, ShippingStatus, UploadStatus
from orders.holds import order_hold, order_release_hold
from orders.models import ChannelPayload, Order, OrderItem, Package, Payment
from orders.payments import channel_refund_record, order_refresh_payment_status
from orders.rules import check_transition, has_live_package, shipping_status_after_withdrawal
from orders.totals import line_amount
from sellercloud.db import DumpedJSON

from ..events import (
    lines_updated_event,
    order_updated_event,
    parcel_recorded_event,
    ship_confirmed_event,
    shipped_while_on_hold_event,
    status_set_event,
)
from .create import (
    CHANNEL_FIELDS,
    NewOrder,
    item_values,
    new_order,
    new_orders_save,
    package_for_parcel,
    payment_event,
    payment_for,
)
from .mapping import CANCEL_REQUEST_HOLD_REASON, PAYMENT_OPERATION_TYPE, Bucket, OrderData, map_order, skip_reason

logger = logging.getLogger(__name__)


class UpsertOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class UpsertResult:
    outcome: UpsertOutcome
    order_id: int | None = None
    reason: str = ""


def _canonical(raw: Any) -> str:
    return json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def payload_dumped(raw: dict[str, Any]) -> DumpedJSON:
    """The payload with its canonical JSON text, dumped once: hashed, then stored as it is."""
    return DumpedJSON(raw, _canonical(raw))


def payload_sha256(raw: Any) -> str:
    """A stable hash of a payload: the same JSON in another key order hashes the same."""
    canonical = raw.text if isinstance(raw, DumpedJSON) else _canonical(raw)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _locked_order(account: CdiscountAccount, channel_order_id: str) -> Order | None:
    return (
        Order.objects.select_for_update(of=("self",))
        .filter(channel_account=account, channel_order_id=channel_order_id)
        .first()
    )


def order_upsert_from_cdiscount(
    *, account: CdiscountAccount, cd_order: schemas.Order, raw: Any, sha256: str | None = None
) -> UpsertResult:
    """Create or update our order from one Cdiscount order; returns what happened."""
    sha256 = sha256 or payload_sha256(raw)
    with transaction.atomic():
        order = _locked_order(account, cd_order.order_id)
        if order is not None and order.channel_payload_sha256 == sha256:
            return UpsertResult(UpsertOutcome.UNCHANGED, order.pk)
        if reason := skip_reason(
            status=cd_order.status, exists=order is not None, allow_unpaid=account.allow_unpaid_orders
        ):
            return UpsertResult(UpsertOutcome.SKIPPED, None, reason)
        data = map_order(cd_order)
        if order is None:
            new = new_order(account=account, data=data, raw=raw, sha256=sha256)
            try:
                with transaction.atomic():
                    new_orders_save([new])
                return UpsertResult(UpsertOutcome.CREATED, new.order.pk)
            except IntegrityError:
                # Another worker created it a moment ago: the constraint kept it to one row.
                order = _locked_order(account, cd_order.order_id)
                if order is None:  # that transaction rolled back after all
                    raise
                if order.channel_payload_sha256 == sha256:
                    return UpsertResult(UpsertOutcome.UNCHANGED, order.pk)
        changed = _apply(order=order, data=data)
        ChannelPayload.objects.get_or_create(order=order, sha256=sha256, defaults={"raw": raw})
        order.channel_payload_sha256 = sha256
        order.save(update_fields=["channel_payload_sha256"])
    return UpsertResult(UpsertOutcome.UPDATED if changed else UpsertOutcome.UNCHANGED, order.pk)


@dataclass(frozen=True)
class NewCandidate:
    """An order of a page that we do not have yet, parsed and hashed; `rows`, its new rows
    when they were built ahead (`new_candidate`)."""

    cd_order: schemas.Order
    raw: Any
    sha256: str
    rows: NewOrder | None = None


def new_candidate(*, account: CdiscountAccount, cd_order: schemas.Order, raw: Any, sha256: str) -> NewCandidate:
    """A new order with its rows built now, when its page is read: the page's write is then only
    the writing."""
    rows = new_order(account=account, data=map_order(cd_order), raw=raw, sha256=sha256)
    return NewCandidate(cd_order=cd_order, raw=raw, sha256=sha256, rows=rows)


def orders_create_new(*, account: CdiscountAccount, candidates: list[NewCandidate]) -> list[UpsertResult] | None:
    """Create a page's new orders together (a few bulk INSERTs). Returns None, having written
    nothing, when one of them exists after all (a concurrent download): the caller then applies
    them one by one with order_upsert_from_cdiscount."""
    new = [
        c.rows or new_order(account=account, data=map_order(c.cd_order), raw=c.raw, sha256=c.sha256) for c in candidates
    ]
    try:
        with transaction.atomic():
            new_orders_save(new)
    except IntegrityError:
        return None
    return [UpsertResult(UpsertOutcome.CREATED, n.order.pk) for n in new]


def _apply(*, order: Order, data: OrderData) -> bool:
    """Bring an order we have in line with the channel's data, as far as who-wins allows.
    True if anything changed."""
    changed = _update_fields(order, data)
    changed |= _update_items(order, data)
    changed |= _ensure_payment(order, data)
    if data.bucket == Bucket.SHIPPED:
        changed |= _apply_shipped(order, data)
    elif data.bucket == Bucket.CANCELLED:
        changed |= _refund_cancelled_order(order, data)
        changed |= _apply_cancelled(order, data)
    else:
        changed |= _apply_cancel_request(order, data)
    return changed


def _update_fields(order: Order, data: OrderData) -> bool:
    changed = [f for f in CHANNEL_FIELDS if getattr(order, f) != getattr(data, f)]
    address_arrived = (
        data.shipping_address is not None
        and order.shipping_address_edited_at is None  # never over a user's edit
        and order.shipping_address != data.shipping_address
    )
    if not changed and not address_arrived:
        return False
    previous_status = order.channel_status
    for field in changed:
        setattr(order, field, getattr(data, field))
    if address_arrived:
        order.shipping_address = data.shipping_address
        changed.append("shipping_address")
    order.save(update_fields=[*changed, "updated_at"])
    order_updated_event(order=order, changed=changed, previous_status=previous_status)
    return True


def _update_items(order: Order, data: OrderData) -> bool:
    existing = {i.channel_line_id: i for i in order.items.all()}
    changed_lines = []
    newly_cancelled = []
    for item in data.items:
        current = existing.get(item.channel_line_id)
        values = item_values(item)
        if current is None:
            OrderItem.objects.create(order=order, channel_line_id=item.channel_line_id, **values)
            changed_lines.append(item.channel_line_id)
            continue
        fields = [f for f, v in values.items() if getattr(current, f) != v]
        if fields:
            if item.cancelled and not current.cancelled:
                newly_cancelled.append(current)
            for f in fields:
                setattr(current, f, values[f])
            current.save(update_fields=fields)
            changed_lines.append(item.channel_line_id)
    if changed_lines:
        lines_updated_event(order=order, lines=changed_lines)
    _refund_cancelled_lines(order, data, newly_cancelled)
    return bool(changed_lines)


def _channel_payment(order: Order, data: OrderData) -> Payment | None:
    return Payment.objects.filter(
        order=order, operation_type=PAYMENT_OPERATION_TYPE, reference=data.payment_reference
    ).first()


def _refund_cancelled_lines(order: Order, data: OrderData, lines: list[OrderItem]) -> None:
    """Lines cancelled after the Cdiscount payment was recorded: the payment counted them, so
    Cdiscount refunds them (SPEC S5). A payment recorded later counts only the live lines."""
    payment = _channel_payment(order, data) if lines else None
    if payment is None:
        return
    for line in lines:
        channel_refund_record(
            order=order,
            payment=payment,
            key=line.channel_line_id,
            amount=line_amount(line),
            notes=f"line {line.channel_line_id} ({line.sku}) cancelled on Cdiscount",
            when=timezone.now(),
        )


def _refund_cancelled_order(order: Order, data: OrderData) -> bool:
    """A whole order cancelled on Cdiscount after its payment: what is still paid is refunded."""
    payment = _channel_payment(order, data)
    if payment is None:
        return False
    refund = channel_refund_record(
        order=order,
        payment=payment,
        key="order",
        amount=payment.amount,  # capped at what is still refundable on it
        notes=f"order {data.channel_status} on Cdiscount",
        when=timezone.now(),
    )
    return refund is not None


def _ensure_payment(order: Order, data: OrderData) -> bool:
    """The Cdiscount payment, added once, as soon as the status implies the money came in (even
    on an order we cancelled: the money did come in, so the refund shows)."""
    if data.bucket not in (Bucket.PAID, Bucket.SHIPPED) or data.grand_total <= 0:
        return False
    if _channel_payment(order, data) is not None:
        return False
    try:
        with transaction.atomic():
            payment_for(order=order, data=data).save()
    except IntegrityError:
        return False  # recorded by a concurrent download
    order_refresh_payment_status(order=order)
    payment_event(order=order, data=data)
    return True


def _set_status(order: Order, new: str, note: str) -> None:
    check_transition(order, new)
    order.status = new
    order.save(update_fields=["status", "updated_at"])
    status_set_event(order=order, status=new, why=note)


def _apply_shipped(order: Order, data: OrderData) -> bool:
    changed = False
    if order.ship_confirmed_at is None or order.shipping_status != ShippingStatus.FULLY_SHIPPED:
        order.ship_confirmed_at = order.ship_confirmed_at or data.channel_updated_at
        order.shipping_status = ShippingStatus.FULLY_SHIPPED
        order.save(update_fields=["ship_confirmed_at", "shipping_status", "updated_at"])
        ship_confirmed_event(order=order, channel_status=data.channel_status)
        changed = True
    changed |= _record_parcel(order, data)
    if order.status == OrderStatus.CANCELED:
        _set_status(
            order,
            OrderStatus.PROBLEM,
            f"Cdiscount reports the order {data.channel_status}, but we cancelled it: check with the warehouse "
            "and the customer (a refund or an RMA may be needed).",
        )
        return True
    if order.status == OrderStatus.ON_HOLD:
        if order.hold_source == HoldSource.CHANNEL:
            # Shipped beats CancelRequest: the hold no longer applies.
            order_release_hold(order=order, by=None, note="Cdiscount reports the order shipped.")
            order.refresh_from_db()
        elif order.status_before_hold != OrderStatus.COMPLETED:
            # A user's hold stays; releasing it will land on Completed.
            order.status_before_hold = OrderStatus.COMPLETED
            order.save(update_fields=["status_before_hold", "updated_at"])
            shipped_while_on_hold_event(order=order)
            return True
    if order.status in (OrderStatus.IN_PROCESS, OrderStatus.PROBLEM):
        _set_status(order, OrderStatus.COMPLETED, f"Completed: Cdiscount reports the order {data.channel_status}")
        changed = True
    return changed


def _record_parcel(order: Order, data: OrderData) -> bool:
    """A package for the marketplace's parcel when we have none; a package of ours still waiting to
    upload is Uploaded now, since the marketplace already has a parcel (never post it again)."""
    waiting = order.packages.filter(upload_status__in=[UploadStatus.PENDING, UploadStatus.FAILED])
    if waiting.exists():
        waiting.update(upload_status=UploadStatus.UPLOADED, uploaded_at=timezone.now(), upload_error="")
        return True
    if data.parcel is None or has_live_package(order):
        return False
    package_for_parcel(order=order, data=data, time_zone=order.company.time_zone).save()
    parcel_recorded_event(order=order, parcel_number=data.parcel.parcel_number, carrier_name=data.parcel.carrier_name)
    return True


def _apply_cancelled(order: Order, data: OrderData) -> bool:
    if order.status in (OrderStatus.CANCELED, OrderStatus.PROBLEM):
        return False
    shipped = order.shipping_status != ShippingStatus.UNSHIPPED or order.ship_confirmed_at or has_live_package(order)
    if shipped:
        if order.status == OrderStatus.ON_HOLD:
            return False  # a human holds it already; the channel event above says what happened
        _set_status(
            order,
            OrderStatus.PROBLEM,
            f"Cdiscount reports the order {data.channel_status}, but we shipped it: contact the customer.",
        )
        return True
    order.status_before_hold = order.hold_reason = order.hold_source = ""
    order.save(update_fields=["status_before_hold", "hold_reason", "hold_source", "updated_at"])
    if Package.objects.filter(order=order, upload_status=UploadStatus.PENDING).update(
        upload_status=UploadStatus.WITHDRAWN
    ):
        order.shipping_status = shipping_status_after_withdrawal(order)
        order.save(update_fields=["shipping_status", "updated_at"])
    _set_status(order, OrderStatus.CANCELED, f"Canceled: Cdiscount reports the order {data.channel_status}")
    hooks.order_cancelled(order_id=order.pk)
    return True


def _apply_cancel_request(order: Order, data: OrderData) -> bool:
    shipped = order.shipping_status != ShippingStatus.UNSHIPPED
    if data.cancel_request:
        if shipped or order.status not in (OrderStatus.IN_PROCESS, OrderStatus.PROBLEM):
            return False  # Shipped beats CancelRequest; an order already held or closed keeps its state
        if order.released_channel_request == data.cancel_request:
            return False  # a user released the hold for this very request
        return order_hold(
            order=order,
            reason=CANCEL_REQUEST_HOLD_REASON,
            source=HoldSource.CHANNEL,
            channel_request=data.cancel_request,
        )
    if order.status == OrderStatus.ON_HOLD and order.hold_source == HoldSource.CHANNEL:
        # The request is settled: the hold that stood for it goes with it. Its lines cancelled
        # means it was accepted (they left the totals above); otherwise the customer withdrew it.
        requested = set(order.hold_channel_request.split(","))
        accepted = requested <= {item.channel_line_id for item in data.items if item.cancelled}
        note = (
            f"Cdiscount accepted the cancellation request: line {order.hold_channel_request} cancelled."
            if accepted
            else "Cdiscount: the cancellation request is gone."
        )
        return order_release_hold(order=order, by=None, note=note)
    return False
