"""A reconciliation run: read Cdiscount's orders of the period and compare them with ours.

It reads as the download does: the account's client (its token, its retries and rate-limit
backoff), GET /orders by `updatedAt` page by page, then GET /orders/{id} for our open orders of
the period the listing did not return. It never writes to the marketplace and never changes an
order: the differences are saved together at the end, so a run that dies leaves nothing half
written (the next tick marks it Failed; the next run finds everything again).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from orders.choices import OPEN_STATUSES
from orders.models import Order

from ..accounts import AccountLock, client_for
from ..cdiscount.client import CdiscountClient, OrderQuery
from ..cdiscount.exceptions import ChannelAPIError
from ..cdiscount.parsing import parse_page_item
from ..cdiscount.schemas import Order as CdiscountOrder
from ..errors import unexpected_error
from ..models import CdiscountAccount, Drift, SyncRun
from .compare import Finding, compare, local_orders, refunds_without_reference

logger = logging.getLogger(__name__)
CRASHED = unexpected_error(
    what="The reconciliation stopped",
    event="reconcile_crashed",
    then="Start it again; if it stops the same way, tell your administrator.",
)
# Our open orders read one by one after the listing: a bound, so one run stays short.
MAX_READ_BY_ID = 500


class _LockLost(Exception):
    pass


def reconcile_execute(*, run: SyncRun, lock: AccountLock | None, client: CdiscountClient | None = None) -> SyncRun:
    """Carry out a Queued reconciliation to its end (Completed or Failed); never raises for a
    marketplace fault."""
    account = CdiscountAccount.objects.select_related("company").get(pk=run.account_id)
    run.status = SyncRun.Status.PROCESSING
    run.started_at = run.heartbeat_at = timezone.now()
    run.save(update_fields=["status", "started_at", "heartbeat_at"])
    client = client or client_for(account)
    calls_before = client.calls.snapshot()
    log: list[str] = []
    try:
        findings = _reconcile(run, account, client, lock, log)
    except _LockLost:
        _finish(run, SyncRun.Status.FAILED, "Stopped: another run took over this account's lock.", [], log)
    except ChannelAPIError as exc:
        _finish(run, SyncRun.Status.FAILED, str(exc), [], log)
    except Exception:  # an unexpected bug must still end the run visibly
        logger.exception("event=reconcile_crashed run=%s account=%s", run.pk, account.pk)
        _finish(run, SyncRun.Status.FAILED, CRASHED, [], log)
    else:
        _finish(run, SyncRun.Status.COMPLETED, "", findings, log)
    run.api_calls = int(client.calls.snapshot()["api"] - calls_before["api"])
    run.save(update_fields=["api_calls"])
    return run


def _beat(run: SyncRun, lock: AccountLock | None) -> None:
    if lock is not None and not lock.renew():
        raise _LockLost()
    run.heartbeat_at = timezone.now()
    run.progress = f"{run.pages} pages, {run.checked} orders compared"
    run.save(update_fields=["heartbeat_at", "progress", "pages", "checked"])


def _reconcile(
    run: SyncRun, account: CdiscountAccount, client: CdiscountClient, lock: AccountLock | None, log: list[str]
) -> list[Finding]:
    assert run.window_from is not None and run.window_to is not None  # set when the run was created
    query = OrderQuery(updated_at_min=run.window_from, updated_at_max=run.window_to,
                       sales_channel_id=account.sales_channel_id or None)  # fmt: skip
    findings: list[Finding] = []
    seen: set[str] = set()
    page_index = 1
    while True:
        page = client.get_orders_page(query=query, page_index=page_index)
        orders = _parsed(page.raw_items, log)
        seen.update(o.order_id for o in orders)
        findings += _compare_all(account, orders, run)
        run.pages += 1
        _beat(run, lock)
        if page.is_last:
            break
        page_index += 1
    findings += _read_open_orders(run, account, client, lock, seen, log)
    findings += refunds_without_reference(account, run.window_from)
    return findings


def _parsed(raw_items: list[object], log: list[str]) -> list[CdiscountOrder]:
    orders = []
    for raw in raw_items:
        item = parse_page_item(raw)
        if item.order is None:
            log.append(f"{item.order_id or '?'}: not compared, Cdiscount sent it malformed ({item.error}).")
        else:
            orders.append(item.order)
    return orders


def _compare_all(account: CdiscountAccount, orders: list[CdiscountOrder], run: SyncRun) -> list[Finding]:
    local = local_orders(account, [o.order_id for o in orders])
    run.checked += len(orders)
    return [f for o in orders if (f := compare(account=account, cd=o, local=local.get(o.order_id)))]


def _read_open_orders(
    run: SyncRun,
    account: CdiscountAccount,
    client: CdiscountClient,
    lock: AccountLock | None,
    seen: set[str],
    log: list[str],
) -> list[Finding]:
    """Our open orders of the period that the listing did not return, read by id."""
    since: datetime = run.window_from  # type: ignore[assignment]  # asserted by the caller
    ids = list(
        Order.objects.filter(channel_account=account, status__in=OPEN_STATUSES, order_date__gte=since)
        .exclude(channel_order_id__in=seen)
        .order_by("order_date")
        .values_list("channel_order_id", flat=True)[:MAX_READ_BY_ID]
    )
    orders = []
    for index, order_id in enumerate(ids, start=1):
        try:
            orders += _parsed([client.fetch_order(order_id=order_id).raw], log)
        except ChannelAPIError as exc:
            if exc.status != 404:
                raise
            log.append(f"{order_id}: open here, unknown to Cdiscount (404).")
        if index % 50 == 0:
            _beat(run, lock)
    return _compare_all(account, orders, run)


def _finish(run: SyncRun, status: str, error: str, findings: list[Finding], log: list[str]) -> None:
    run.status = status
    run.error = error[:2000]
    run.finished_at = timezone.now()
    run.log = "\n".join(log)
    run.progress = f"{run.pages} pages, {run.checked} orders compared, {len(findings)} differences"
    with transaction.atomic():
        run.save()
        Drift.objects.bulk_create(
            Drift(run=run, kind=f.kind, channel_order_id=f.channel_order_id, detail=f.detail[:500],
                  order_id=f.order_id, package_id=f.package_id, refund_id=f.refund_id, expected=f.expected)
            for f in findings
        )  # fmt: skip
    logger.info(
        "event=reconcile_finished run=%s account=%s status=%s pages=%d checked=%d drifts=%d error=%s",
        run.pk, run.account_id, status, run.pages, run.checked, len(findings), error[:200] or "-",
    )  # fmt: skip
