"""The download run (SPEC S6): one account, one window of `updatedAt`, every page, every order.

- The window runs from the watermark minus the overlap to the run's start (fixed when it starts);
  a first run looks back the account's N days; a backfill (dates given) never moves the watermark.
- Pages are read until a short one (no total in the API). When a window took more than one page,
  GET /orders/count tells whether orders moved between pages; if so the window is read again.
- Each order is applied on its own (channels.download.upsert); a malformed one becomes a
  SyncProblem with its payload and the others import (Partial Success).
- The watermark moves after Completed or Partial Success only: a Failed run leaves it, and the
  next run covers the same window again, which the upsert makes harmless.
- The run holds the account's lock, renews it and its heartbeat after every page, and stops if
  it lost the lock (another run took over after its heartbeat stopped).
"""

import logging
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, connections, transaction
from django.utils import timezone

from channels.acceptance import ACCEPTED, approval_record
from channels.accounts import AccountLock, client_for
from channels.cdiscount.client import CdiscountClient, OrderQuery
from channels.cdiscount.exceptions import ChannelAPIError
from channels.cdiscount.parsing import parse_datetime, parse_page_item, raw_order_id
from channels.cdiscount.schemas import OrderPage, PageItem
from channels.cdiscount.schemas import OrderStatus as CdiscountStatus
from channels.errors import unexpected_error
from channels.events import auto_accept_failed_event
from channels.models import CdiscountAccount, SyncProblem, SyncRun
from orders.models import Order
from sellercloud.db import commit_without_flush_wait

from .mapping import skip_reason
from .run import LockLost, RunState, after_page, download_window, finish_run
from .upsert import (
    NewCandidate,
    new_candidate,
    order_upsert_from_cdiscount,
    orders_create_new,
    payload_dumped,
    payload_sha256,
)

logger = logging.getLogger(__name__)
# What the Sync Log says when our code fails (channels.errors); the exception goes to the log.
CRASHED = unexpected_error(
    what="The download stopped",
    event="download_crashed",
    then="Start it again; if it stops the same way, tell your administrator.",
)
ORDER_FAILED = unexpected_error(
    what="Could not apply the order",
    event="download_order_failed",
    then="Retry it; if it fails the same way, tell your administrator.",
)

# Read a window again at most this many times when orders moved between its pages.
MAX_REPAGES = 2
# Pages requested ahead of the one being applied.
PREFETCH_PAGES = 2


def download_execute(
    *,
    run: SyncRun,
    lock: AccountLock | None,
    client: CdiscountClient | None = None,
    on_page: Callable[[SyncRun], None] | None = None,
) -> SyncRun:
    """Carry out a Queued download run to its end (Completed, Partial Success or Failed).

    The caller holds the account's lock (or passes None to bypass it, which only tests of the
    upsert do). Never raises for a marketplace fault: the run records it.
    """
    account = CdiscountAccount.objects.select_related("company").get(pk=run.account_id)
    now = timezone.now()
    run.status = SyncRun.Status.PROCESSING
    run.started_at = run.heartbeat_at = now
    if not run.is_backfill and not run.channel_order_id:
        run.window_from, run.window_to, run.overlap_minutes = download_window(account=account, start=now)
    elif run.is_backfill:
        run.window_from = run.window_from or now - timedelta(days=account.lookback_days)
        run.window_to = run.window_to or now
    run.save(update_fields=["status", "started_at", "heartbeat_at", "window_from", "window_to", "overlap_minutes"])
    state = RunState(run=run, account=account, client=client or client_for(account), lock=lock)
    calls_before = state.client.calls.snapshot()
    try:
        if run.channel_order_id:
            _download_one(state, run.channel_order_id)
        else:
            _download_window(state, on_page=on_page)
    except LockLost:
        finish_run(state, SyncRun.Status.FAILED, "Stopped: another run took over this account's lock.", calls_before)
    except ChannelAPIError as exc:
        finish_run(state, SyncRun.Status.FAILED, str(exc), calls_before)
    except Exception:  # an unexpected bug must still end the run visibly
        logger.exception("event=download_crashed run=%s account=%s", run.pk, account.pk)
        finish_run(state, SyncRun.Status.FAILED, CRASHED, calls_before)
    else:
        status = SyncRun.Status.PARTIAL if state.counts["failed"] else SyncRun.Status.COMPLETED
        finish_run(state, status, "", calls_before)
    return run


def _query(state: RunState) -> OrderQuery:
    # No status filter (its multi-value syntax is unverified): every order updated in the window.
    return OrderQuery(
        updated_at_min=state.run.window_from,
        updated_at_max=state.run.window_to,
        sales_channel_id=state.account.sales_channel_id or None,
    )


def _download_window(state: RunState, *, on_page: Callable[[SyncRun], None] | None) -> None:
    query = _query(state)
    counts = _read_all_pages(state, query, on_page)
    for _ in range(MAX_REPAGES):
        # A window's orders can only leave it while we page (the window ends at the run's start),
        # and one leaving shifts the later ones up a page: we may have missed some. The count
        # moving during the pass, or disagreeing with what we saw, says so; then read it again.
        if counts is None or (counts[0] == counts[1] == len(state.seen)):
            return
        before = len(state.seen)
        state.log.append(f"Orders moved while paging (count {counts[0]} -> {counts[1]}, seen {before}): read again.")
        counts = _read_all_pages(state, query, on_page)
        if len(state.seen) == before:
            return


def _read_all_pages(
    state: RunState, query: OrderQuery, on_page: Callable[[SyncRun], None] | None
) -> tuple[int, int] | None:
    """One pass over the window's pages. For a window of more than one page, returns the order
    count taken after the first page and after the last; None for a single page (an idle poll
    costs one call).

    While a full page is being applied, the next PREFETCH_PAGES are already being fetched (a full
    page means there may be a next one; a request past the last page costs one short answer):
    the marketplace prepares one page while we read another (SPEC S11). Each page is read (planned)
    then written in one transaction, in this thread: writing it on a second connection while the
    next page was read used more CPU and won no time on two cores (issue 25), so it was left out.
    """
    count_after_first = None
    with ThreadPoolExecutor(max_workers=PREFETCH_PAGES, thread_name_prefix="download-prefetch") as prefetch:
        page_index = 1
        first: Future[OrderPage] = Future()
        first.set_result(state.client.get_orders_page(query=query, page_index=1))  # the token, here
        ahead: deque[Future[OrderPage]] = deque([first])
        try:
            while True:
                page = ahead.popleft().result()
                if not page.is_last:
                    if page_index == 1:
                        # Before page 2 is asked for: any order leaving the window after this
                        # shows in the count at the end.
                        count_after_first = state.client.count_orders(query=query)
                    for index in range(page_index + 1 + len(ahead), page_index + 1 + PREFETCH_PAGES):
                        ahead.append(prefetch.submit(_fetch_page, state.client, query, index))
                _write_page(state, _plan_page(state, page.raw_items), on_page)
                if page.is_last:
                    break
                page_index += 1
        finally:
            for future in ahead:
                future.cancel()
    if count_after_first is None:
        return None
    return count_after_first, state.client.count_orders(query=query)


def _fetch_page(client: CdiscountClient, query: OrderQuery, page_index: int) -> OrderPage:
    try:
        return client.get_orders_page(query=query, page_index=page_index)
    finally:
        # A token renewal writes the account row from this thread: give its connection back.
        connections.close_all()


@dataclass
class PagePlan:
    """What one page asks us to write, decided from the page and the orders we had when it
    was read (a page still being written is not seen: an order on both pages then reaches the
    bulk create's fallback, which applies it as the update it is)."""

    counts: Counter[str] = field(default_factory=Counter)
    problems: list[PageItem] = field(default_factory=list)
    updates: list[tuple[PageItem, str]] = field(default_factory=list)
    new: dict[str, NewCandidate] = field(default_factory=dict)
    to_accept: list[str] = field(default_factory=list)


def _plan_page(state: RunState, raw_items: list[Any]) -> PagePlan:
    """Read one page: which orders are unchanged or skipped, which are malformed, to update or
    to create, with the new orders' rows built. Reads only (the run's own connection).

    An order whose `updatedAt` is the one we last applied is unchanged: it is not even parsed.
    (The window itself relies on the marketplace moving `updatedAt` on every change, so this
    assumes nothing more; it is what keeps a re-download close to the cost of fetching.) An
    order to apply is dumped to JSON once, for its hash and its stored payload.
    """
    ids = [order_id for raw in raw_items if (order_id := raw_order_id(raw))]
    known = _known_orders(state.account, ids)
    plan = PagePlan()
    for raw in raw_items:
        order_id = raw_order_id(raw)
        if order_id:
            state.seen.add(order_id)
            if order_id in known and known[order_id] == _updated_at(raw) and not _awaits_acceptance(state, raw):
                plan.counts["unchanged"] += 1
                continue
            if order_id not in known and _skipped_unread(state, raw):
                plan.counts["skipped"] += 1
                continue
        item = parse_page_item(raw)
        if item.order is None or order_id is None:
            plan.problems.append(item)
            continue
        cd_order, dumped = item.order, payload_dumped(raw)
        sha256 = payload_sha256(dumped)
        if order_id not in known:
            if skip_reason(status=cd_order.status, exists=False, allow_unpaid=state.account.allow_unpaid_orders):
                plan.counts["skipped"] += 1
            else:
                plan.new[order_id] = new_candidate(account=state.account, cd_order=cd_order, raw=dumped, sha256=sha256)
        else:
            plan.updates.append((PageItem(raw=dumped, order=cd_order, error=None), sha256))
        if _awaits_acceptance(state, raw):
            plan.to_accept.append(order_id)
    return plan


def _write_page(state: RunState, plan: PagePlan, on_page: Callable[[SyncRun], None] | None) -> None:
    """Write one page in one transaction (one commit per page, not per order): orders we do not
    have yet are created together with a few bulk INSERTs; the others go one by one, each in a
    savepoint so a bad one is set aside alone. Acceptances are sent once the page is committed,
    then the run's progress is written."""
    with transaction.atomic():
        # The run's last commit (finish_run: an ordinary one, and the only one that moves the
        # watermark) makes this page durable too; lost in a crash before it, the page is read
        # again by the next run.
        commit_without_flush_wait()
        for item in plan.problems:
            _apply_item(state, item, None)
        for item, sha256 in plan.updates:
            state.keep_lock()
            _apply_item(state, item, sha256)
        created = _create_new(state, list(plan.new.values()))
    for name, count in plan.counts.items():
        state.counts[name] += count
    for order_id in plan.to_accept:
        _auto_accept(state, order_id, created.get(order_id) or _order_pk(state, order_id))
    after_page(state, on_page)


def _known_orders(account: CdiscountAccount, ids: list[str]) -> dict[str, datetime | None]:
    """Which of these Cdiscount ids we have, with the `updatedAt` we last applied: one query per
    page. On PostgreSQL a prepared statement with an array parameter, so it is planned once per
    connection rather than once per page (the plan of a 100-value IN list cost as much as running
    it), and written as one probe of the uniqueness index per id (OFFSET 0 keeps the planner from
    merging it back): planned on statistics from before a large download, the plain
    `channel_order_id = ANY(...)` read every order of the account to find the page's 100."""
    if connection.vendor != "postgresql":
        return dict(
            Order.objects.filter(channel_account=account, channel_order_id__in=ids).values_list(
                "channel_order_id", "channel_updated_at"
            )
        )
    table = Order._meta.db_table
    sql = (
        "SELECT o.channel_order_id, o.channel_updated_at FROM unnest(%s::text[]) AS page(id) "  # noqa: S608 (our table)
        "CROSS JOIN LATERAL ("
        f"SELECT channel_order_id, channel_updated_at FROM {table} "
        "WHERE channel_account_id = %s AND channel_order_id = page.id OFFSET 0) AS o"
    )
    with connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.cursor.execute(sql, [ids, account.pk], prepare=True)
        return dict(cursor.cursor.fetchall())


def _skipped_unread(state: RunState, raw: Any) -> bool:
    """An order we do not have whose status alone says it is skipped (unpaid with Allow UnPaid
    Order off, or cancelled before we saw it) needs no parsing. An unknown status is parsed, so a
    malformed order is reported, not skipped."""
    try:
        status = CdiscountStatus(raw.get("status"))
    except (ValueError, AttributeError):
        return False
    reason = skip_reason(status=status, exists=False, allow_unpaid=state.account.allow_unpaid_orders)
    return reason is not None and not _awaits_acceptance(state, raw)


def _updated_at(raw: Any) -> datetime | None:
    try:
        return parse_datetime(raw["updatedAt"])
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _awaits_acceptance(state: RunState, raw: Any) -> bool:
    return (
        state.account.auto_accept_orders
        and isinstance(raw, dict)
        and raw.get("status") == CdiscountStatus.WAITING_ACCEPTANCE
    )


def _create_new(state: RunState, candidates: list[NewCandidate]) -> dict[str, int]:
    """Create the page's new orders at once; if one exists after all (a concurrent download),
    apply them one by one instead. Returns Cdiscount id -> our order id."""
    if not candidates:
        return {}
    state.keep_lock()
    try:
        results = orders_create_new(account=state.account, candidates=candidates)
    except Exception:
        logger.exception("event=download_bulk_create_failed run=%s", state.run.pk)
        results = None  # a bad order among them: the one-by-one path sets it aside alone
    if results is None:
        created = {}
        for candidate in candidates:
            state.keep_lock()
            item = PageItem(raw=candidate.raw, order=candidate.cd_order, error=None)
            if (order_pk := _apply_item(state, item, candidate.sha256)) is not None:
                created[candidate.cd_order.order_id] = order_pk
        return created
    state.counts["created"] += len(results)
    return {c.cd_order.order_id: r.order_id for c, r in zip(candidates, results, strict=True) if r.order_id}


def _order_pk(state: RunState, channel_order_id: str) -> int | None:
    return (
        Order.objects.filter(channel_account=state.account, channel_order_id=channel_order_id)
        .values_list("pk", flat=True)
        .first()
    )


def _apply_item(state: RunState, item: PageItem, sha256: str | None) -> int | None:
    """Apply one order in its own savepoint; a bad one becomes a SyncProblem. Returns our order's
    id when we have the order."""
    if item.order is None:
        _problem(state, item.order_id or "", str(item.error), item.raw)
        return None
    try:
        result = order_upsert_from_cdiscount(account=state.account, cd_order=item.order, raw=item.raw, sha256=sha256)
    except Exception:
        logger.exception("event=download_order_failed run=%s order=%s", state.run.pk, item.order.order_id)
        _problem(state, item.order.order_id, ORDER_FAILED, item.raw)
        return None
    state.counts[result.outcome.value] += 1
    return result.order_id


def _auto_accept(state: RunState, channel_order_id: str, order_pk: int | None) -> None:
    """Auto-accept (SPEC S5): accepted during the download, each acceptance recorded."""
    try:
        outcome = state.client.accept_order(order_id=channel_order_id)
    except ChannelAPIError as exc:
        message = f"Auto-accept of {channel_order_id} failed: {exc}"
        logger.warning("event=auto_accept_failed run=%s order=%s", state.run.pk, channel_order_id)
    else:
        if order_pk is not None:
            # The same record as Accept Order's: channel status, history line and its data.
            approval_record(order=Order(pk=order_pk), by=None, decision=ACCEPTED, outcome=outcome)
            return
        message = f"Auto-accepted on Cdiscount ({outcome.value.replace('_', ' ')})"
    if order_pk is not None:
        auto_accept_failed_event(order=Order(pk=order_pk), message=message)
    else:
        state.log.append(f"{channel_order_id}: {message}")


def _problem(state: RunState, channel_order_id: str, message: str, raw: Any) -> None:
    state.counts["failed"] += 1
    SyncProblem.objects.create(run=state.run, channel_order_id=channel_order_id, message=message, raw_payload=raw)
    logger.warning("event=download_order_problem run=%s order=%s message=%s", state.run.pk, channel_order_id, message)


def _download_one(state: RunState, channel_order_id: str) -> None:
    """Download Order by ID, and the Retry of a problem: GET /orders/{id} and apply it."""
    _write_page(state, _plan_page(state, [state.client.fetch_order(order_id=channel_order_id).raw]), None)
