"""What counts as a difference between our order and Cdiscount's, and when a row is fixed: the
one place for the rules of the reconciliation (issue 23). No marketplace call, no writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, OuterRef, QuerySet, Subquery

from orders.choices import OPEN_STATUSES, OrderStatus, UploadStatus
from orders.models import Order, OrderItem, Package, Refund

from ..cdiscount.schemas import Order as CdiscountOrder
from ..download.mapping import Bucket, bucket, map_order, skip_reason
from ..models import CdiscountAccount, Drift

Kind = Drift.Kind


@dataclass(frozen=True)
class Local:
    """What the comparison reads of our order."""

    pk: int
    status: str
    ship_confirmed: bool
    grand_total: Decimal
    lines: int
    uploaded_package_id: int | None


@dataclass(frozen=True)
class Finding:
    """A difference, before it is saved as a Drift row."""

    kind: str
    channel_order_id: str
    detail: str
    order_id: int | None = None
    package_id: int | None = None
    refund_id: int | None = None
    expected: dict[str, Any] | None = None


def local_orders(account: CdiscountAccount, ids: list[str]) -> dict[str, Local]:
    """Our orders of the account among these Cdiscount ids: one query."""
    uploaded = Package.objects.filter(order=OuterRef("pk"), upload_status=UploadStatus.UPLOADED).values("pk")[:1]
    lines = OrderItem.objects.filter(order=OuterRef("pk")).order_by().values("order").annotate(n=Count("pk"))
    rows = (
        Order.objects.filter(channel_account=account, channel_order_id__in=ids)
        .annotate(line_count=Subquery(lines.values("n")), package_id=Subquery(uploaded))
        .values_list("channel_order_id", "pk", "status", "ship_confirmed_at", "grand_total", "line_count", "package_id")
    )
    return {
        oid: Local(pk, status, confirmed_at is not None, total, count or 0, package)
        for oid, pk, status, confirmed_at, total, count, package in rows
    }


def compare(*, account: CdiscountAccount, cd: CdiscountOrder, local: Local | None) -> Finding | None:
    """The one difference that matters most for this order, or None when they agree."""
    oid, kind = cd.order_id, bucket(cd.status)
    if local is None:
        if skip_reason(status=cd.status, exists=False, allow_unpaid=account.allow_unpaid_orders) is None:
            return Finding(Kind.MISSING_HERE, oid, f"{cd.status} on Cdiscount; no such order here.")
        return None
    pk = local.pk
    if kind == Bucket.CANCELLED:
        if local.status in OPEN_STATUSES:
            return Finding(
                Kind.CANCELLED_THERE, oid, f"{cd.status} on Cdiscount; {_label(local.status)} here.", order_id=pk
            )
        return None
    if kind == Bucket.SHIPPED and not local.ship_confirmed and local.status != OrderStatus.CANCELED:
        return Finding(Kind.SHIPPED_THERE, oid, f"{cd.status} on Cdiscount; not Ship Confirmed here.", order_id=pk)
    if kind != Bucket.SHIPPED and local.uploaded_package_id is not None:
        detail = f"Tracking uploaded here; {cd.status} on Cdiscount, which never took it."
        return Finding(Kind.NOT_SHIPPED_THERE, oid, detail, package_id=local.uploaded_package_id, order_id=pk)
    mapped = map_order(cd)
    expected = {"grand_total": str(mapped.grand_total), "lines": len(mapped.items)}
    if (local.grand_total, local.lines) != (mapped.grand_total, len(mapped.items)):
        detail = (
            f"Grand Total {mapped.grand_total} and {len(mapped.items)} line(s) on Cdiscount; "
            f"{local.grand_total} and {local.lines} here."
        )
        return Finding(Kind.TOTALS_DIFFER, oid, detail, expected=expected, order_id=pk)
    return None


def refunds_without_reference(account: CdiscountAccount, since: datetime) -> list[Finding]:
    """Refunds a user issued here with no Reference Number: the portal refund may not be done."""
    refunds = Refund.objects.filter(
        order__channel_account=account, user__isnull=False, source="", reference_number="", created_at__gte=since
    ).select_related("order")
    return [
        Finding(
            Kind.REFUND_NO_REFERENCE,
            r.order.channel_order_id,
            f"Refund of {r.amount} {r.currency} on {r.refund_date:%d/%m/%Y} has no Reference Number.",
            order_id=r.order_id,
            refund_id=r.pk,
        )  # fmt: skip
        for r in refunds
    ]


def _label(status: str) -> str:
    return str(OrderStatus(status).label) if status in OrderStatus.values else status


# --- Is a row still open? ---------------------------------------------------------------------


def still_open(drifts: QuerySet[Drift] | list[Drift]) -> list[Drift]:
    """The rows whose difference our records still show (their fix not run, or not taken yet)."""
    drifts = [d for d in drifts if d.resolved_at is None]
    orders = {o.pk: o for o in Order.objects.filter(pk__in={d.order_id for d in drifts if d.order_id})
              .annotate(line_count=Count("items"))}  # fmt: skip
    missing = {d.channel_order_id for d in drifts if d.kind == Kind.MISSING_HERE}
    account_ids = {d.run.account_id for d in drifts}
    present = set(
        Order.objects.filter(channel_account_id__in=account_ids, channel_order_id__in=missing).values_list(
            "channel_order_id", flat=True
        )
    )
    refunds = dict(Refund.objects.filter(pk__in={d.refund_id for d in drifts if d.refund_id})
                   .values_list("pk", "reference_number"))  # fmt: skip
    return [d for d in drifts if _open(d, orders.get(d.order_id or 0), present, refunds)]


def _open(drift: Drift, order: Order | None, present: set[str], refunds: dict[int, str]) -> bool:
    if drift.kind == Kind.MISSING_HERE:
        return drift.channel_order_id not in present
    if drift.kind == Kind.REFUND_NO_REFERENCE:
        return drift.refund_id is not None and refunds.get(drift.refund_id) == ""
    if order is None:
        return False  # deleted meanwhile: the next run says so if it matters
    if drift.kind == Kind.CANCELLED_THERE:
        return order.status in OPEN_STATUSES
    if drift.kind == Kind.SHIPPED_THERE:
        return order.ship_confirmed_at is None and order.status != OrderStatus.CANCELED
    if drift.kind == Kind.NOT_SHIPPED_THERE:
        return order.ship_confirmed_at is None and order.status != OrderStatus.CANCELED
    expected = drift.expected or {}
    agree = order.grand_total == Decimal(expected.get("grand_total", "-1"))
    return not (agree and getattr(order, "line_count", None) == expected.get("lines"))
