"""Manage Orders bulk actions (SPEC S7): the Actions menu, favourites, holds in bulk, CSV export.

Holds go through the one hold service (`order_hold` / `order_release_hold`) order by order, so
each order gets its OrderEvent and the conditional updates there make a bulk run safe to run
twice at once (SPEC S6). Many orders run in the background: the ids are split into chunks, one
Celery task per chunk, enqueued on commit; progress is counted in the cache and polled by the page.
"""

from __future__ import annotations

import csv
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from sellercloud.models import User
from sellercloud.permissions import Permission

from .filters import localise, user_can_act_on_orders
from .holds import order_hold, order_release_hold
from .models import BulkActionFavorite, Order
from .rules import OrderRuleError

logger = logging.getLogger(__name__)


class BulkActionKind(models.TextChoices):
    """The bulk actions of Manage Orders, in Sellercloud's words."""

    HOLD = "hold", "Set On Hold"
    RELEASE_HOLD = "release_hold", "Release Hold"
    EXPORT_CSV = "export_csv", "Export CSV"
    IMPORT_TRACKING = "import_tracking", "Import Tracking"


@dataclass(frozen=True)
class BulkAction:
    """One entry of the Actions menu: what it needs and what it asks before it runs.

    `start` makes it a background job of a higher app (Bulk Print Invoices, registered by
    invoices with register_bulk_action): it gets the user and the ids in the grid's order, starts
    the job, and returns the URL of the job's page.
    """

    key: str
    label: str
    permission: Permission
    # The text asked on the confirmation page ("" when nothing is asked).
    asks: str = ""
    asks_required: bool = False
    changes_orders: bool = True
    # An action on a file rather than on the selection opens its own page (this URL name).
    url_name: str = ""
    start: Callable[[User, list[int]], str] | None = None
    # The ticked orders run without a confirmation page (all filtered orders always confirm).
    confirm_ticked: bool = True
    # At most this many orders at once (0: no limit); more are refused with nothing done.
    max_orders: int = 0


K = BulkActionKind
BULK_ACTIONS: dict[str, BulkAction] = {
    a.key: a
    for a in (
        BulkAction(K.HOLD, K.HOLD.label, Permission.PROCESS_ORDERS, asks="Reason", asks_required=True),
        BulkAction(K.RELEASE_HOLD, K.RELEASE_HOLD.label, Permission.PROCESS_ORDERS, asks="Note"),
        BulkAction(K.EXPORT_CSV, K.EXPORT_CSV.label, Permission.VIEW_ORDERS, changes_orders=False),
        BulkAction(
            K.IMPORT_TRACKING, K.IMPORT_TRACKING.label, Permission.PROCESS_ORDERS, url_name="orders:import_tracking"
        ),
    )
}


def register_bulk_action(action: BulkAction) -> None:
    """Add a higher app's action to the Actions menu (its AppConfig.ready(); keyed by key, so a
    second ready() replaces it). orders never imports that app: the action's `start` runs it."""
    BULK_ACTIONS[action.key] = action


# --- Favourites -----------------------------------------------------------------------------------


def bulk_favorites(user: User) -> set[str]:
    return set(BulkActionFavorite.objects.filter(user=user).values_list("action", flat=True))


def bulk_actions_menu(favorites: set[str]) -> list[tuple[BulkAction, bool]]:
    """The Actions menu: starred actions first (Sellercloud's favourites), then the others."""
    entries = [(action, key in favorites) for key, action in BULK_ACTIONS.items()]
    return sorted(entries, key=lambda entry: not entry[1])  # stable: declaration order otherwise


def bulk_favorite_toggle(*, user: User, action: str) -> bool:
    """Star or unstar `action` for `user`; returns whether it is starred now."""
    if action not in BULK_ACTIONS:
        raise ValueError(f"Unknown bulk action {action!r}")
    deleted, _ = BulkActionFavorite.objects.filter(user=user, action=action).delete()
    if deleted:
        return False
    try:
        with transaction.atomic():
            BulkActionFavorite.objects.create(user=user, action=action)
    except IntegrityError:
        pass  # a double click starred it already: the result is the same
    return True


# --- Holds ----------------------------------------------------------------------------------------


@dataclass
class BulkResult:
    """What a bulk hold or release did: changed, already so (unchanged), refused with the reason."""

    changed: int = 0
    unchanged: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.changed + self.unchanged + len(self.failed)


def bulk_apply(*, action: str, order_ids: Iterable[int], user: User, text: str = "") -> BulkResult:
    """Set On Hold or Release Hold on each order, through the one hold service.

    Each order is its own transaction (the service's), so one refused order (Completed, say)
    leaves the others done, and a run cut short is simply run again. The permission is checked
    again here, per company, because a background chunk runs later than the click; like the
    page, it needs View orders as well as Process orders (orders.filters.user_can_act_on_orders).
    """
    if action not in (BulkActionKind.HOLD, BulkActionKind.RELEASE_HOLD):
        raise ValueError(f"{action!r} is not a hold action")
    result = BulkResult()
    orders = Order.objects.filter(pk__in=list(order_ids)).select_related("company").order_by("pk")
    for order in orders.iterator(chunk_size=500):
        if not user_can_act_on_orders(user, Permission.PROCESS_ORDERS, order.company_id):
            result.failed.append((order.pk, f"You may not view and process orders of {order.company.name}."))
            continue
        try:
            if action == BulkActionKind.HOLD:
                changed = order_hold(order=order, reason=text, by=user)
            else:
                changed = order_release_hold(order=order, by=user, note=text)
        except OrderRuleError as exc:
            result.failed.append((order.pk, str(exc)))
            continue
        if changed:
            result.changed += 1
        else:
            result.unchanged += 1
    return result


# --- Background jobs ------------------------------------------------------------------------------

JOB_TTL = 24 * 60 * 60
JOB_CHUNK = 500
JOB_FAILURES_KEPT = 20


def bulk_inline_limit() -> int:
    """Up to this many orders run in the request; more go to the background with progress."""
    return int(getattr(settings, "ORDERS_BULK_INLINE_LIMIT", 100))


def _job_key(job_id: str, part: str) -> str:
    return f"orders:bulk-job:{job_id}:{part}"


def bulk_job_start(
    *, action: str, order_ids: list[int], user: User, enqueue: Callable[[str, list[int]], object], text: str = ""
) -> str:
    """Record a background job and, once the transaction commits, `enqueue(job_id, chunk)` one task
    per chunk of ids (orders.dispatch passes the task)."""
    job_id = uuid.uuid4().hex
    meta = {"user_id": user.pk, "action": action, "label": BULK_ACTIONS[action].label, "total": len(order_ids)}
    cache.set_many(
        {
            _job_key(job_id, "meta"): meta,
            _job_key(job_id, "changed"): 0,
            _job_key(job_id, "unchanged"): 0,
            _job_key(job_id, "failed"): 0,
            _job_key(job_id, "failures"): [],
        },
        JOB_TTL,
    )
    for start in range(0, len(order_ids), JOB_CHUNK):
        chunk = order_ids[start : start + JOB_CHUNK]
        transaction.on_commit(partial(enqueue, job_id, chunk))
    logger.info("bulk job %s queued: %s on %d orders by user %s", job_id, action, len(order_ids), user.pk)
    return job_id


def bulk_job_run_chunk(*, job_id: str, action: str, order_ids: list[int], user_id: int, text: str) -> BulkResult:
    """One chunk of a background job: apply, then add the counts to the job's progress."""
    user = User.objects.get(pk=user_id)
    result = bulk_apply(action=action, order_ids=order_ids, user=user, text=text)
    for part, amount in (("changed", result.changed), ("unchanged", result.unchanged), ("failed", len(result.failed))):
        if amount:
            try:
                cache.incr(_job_key(job_id, part), amount)
            except ValueError:  # the job's keys expired: still count from here on
                cache.set(_job_key(job_id, part), amount, JOB_TTL)
    if result.failed:
        # Best effort (not atomic): the page shows a few reasons, the counts are exact.
        kept = cache.get(_job_key(job_id, "failures")) or []
        if len(kept) < JOB_FAILURES_KEPT:
            kept.extend(result.failed[: JOB_FAILURES_KEPT - len(kept)])
            cache.set(_job_key(job_id, "failures"), kept, JOB_TTL)
    logger.info(
        "bulk job %s chunk: %d changed, %d unchanged, %d failed",
        job_id,
        result.changed,
        result.unchanged,
        len(result.failed),
    )
    return result


def bulk_job_status(job_id: str, *, user: User) -> dict[str, Any] | None:
    """The job's progress for its owner, or None (unknown, expired, or someone else's)."""
    values = cache.get_many([_job_key(job_id, p) for p in ("meta", "changed", "unchanged", "failed", "failures")])
    meta = values.get(_job_key(job_id, "meta"))
    if not meta or meta["user_id"] != user.pk:
        return None
    changed = values.get(_job_key(job_id, "changed"), 0)
    unchanged = values.get(_job_key(job_id, "unchanged"), 0)
    failed = values.get(_job_key(job_id, "failed"), 0)
    # A chunk delivered twice (acks_late) counts twice; the progress never says more than all.
    done = min(changed + unchanged + failed, meta["total"])
    return {
        "job_id": job_id,
        "label": meta["label"],
        "total": meta["total"],
        "done": done,
        "changed": changed,
        "unchanged": unchanged,
        "failed": failed,
        "failures": values.get(_job_key(job_id, "failures"), []),
        "finished": done >= meta["total"],
        "percent": int(100 * done / meta["total"]) if meta["total"] else 100,
    }


# --- CSV export -----------------------------------------------------------------------------------

CSV_HEADER = [
    "Order ID",
    "Channel",
    "Channel Order ID",
    "Company",
    "Order Date",
    "Customer",
    "Customer Reference",
    "Order Status",
    "Payment Status",
    "Shipping Status",
    "Ship Confirmed",
    "Grand Total",
    "Currency",
    "Ship By",
]
# A spreadsheet reads a cell starting with one of these as a formula (CSV injection, OWASP).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """The cell as text; a leading formula character is neutralised with a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _stamp(value: Any, order: Order) -> str:
    if value is None:
        return ""
    return timezone.localtime(value, ZoneInfo(order.company.time_zone)).strftime("%Y-%m-%d %H:%M")


def orders_csv_rows(qs: QuerySet[Order], *, ordering: tuple[str, ...]) -> Iterator[list[str]]:
    """The header, then one row per order, read in chunks (a million rows never sit in memory)."""
    yield CSV_HEADER
    for order in qs.select_related("company").order_by(*ordering).iterator(chunk_size=2000):
        yield [
            csv_safe(value)
            for value in (
                order.pk,
                order.get_channel_display(),
                order.channel_order_id,
                order.company.name,
                localise(order).strftime("%Y-%m-%d %H:%M"),
                order.customer_name,
                order.customer_reference,
                order.get_status_display(),
                order.get_payment_status_display(),
                order.get_shipping_status_display(),
                _stamp(order.ship_confirmed_at, order),
                order.grand_total,
                order.currency,
                _stamp(order.ship_by, order),
            )
        ]


class _Echo:
    """A file-like object whose write returns the line: csv.writer then yields lines to stream."""

    def write(self, value: str) -> str:
        return value


def orders_csv_lines(qs: QuerySet[Order], *, ordering: tuple[str, ...]) -> Iterator[str]:
    """The CSV as lines of text, with a BOM first so spreadsheet programs read it as UTF-8."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in orders_csv_rows(qs, ordering=ordering):
        yield writer.writerow(row)
