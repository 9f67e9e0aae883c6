"""Fulfillment upload (SPEC S6, S8; issue #9): a package's tracking goes to Cdiscount exactly once.

How a run works:
- The beat claims each due account (Enable Order Fulfillment Upload on) with a conditional UPDATE
  of `next_upload_at`, as the download does; one task per claimed account.
- A run holds the account's "upload" lock (separate from the download's), renews it, and records
  a SyncRun (kind upload) with its counts, heartbeat and error, shown in the Sync Log.
- It takes the account's Pending packages that are due and claims each one before posting it: a
  conditional UPDATE on `upload_status=Pending` and a free (or stale) `upload_claimed_at`, which
  also counts the attempt. A task delivered twice, or two runs at once, therefore never post the
  same package twice: the second claim finds nothing.
- Each package is posted to `/orders/{orderId}/shipments` as one parcel: its tracking number,
  the carrier mapped through the account's carrier mapping (or sent as is when it is itself one
  of Cdiscount's labels, from `GET /carriers`, cached a few hours), the tracking URL and the order
  line ids (all lines but cancelled / refused / rejected ones; CancelRequest lines are shippable).
- 201: Uploaded, the order Ship Confirmed, an OrderEvent. A temporary fault (5xx, timeout, 429,
  connection): the package stays Pending, due again after a backoff (Retry-After honoured). A
  refusal (400, 404, 409, a business rule, an unmapped carrier): Failed with the marketplace's own
  words, an OrderEvent, retried only when a user asks.
- Never posted twice: before any retry (a package already attempted, or a user's retry) the run
  reads the order and treats a parcel with the same number as already uploaded. The client never
  re-sends a POST by itself, so this is the only place that decides.
- Several packages are in flight at once on PostgreSQL (a small pool of threads, each with its own
  database connection, closed at the end; the HTTP client is shared, it is thread-safe). A 429
  pauses every thread of the run for its Retry-After.

Settings (sellercloud/settings.py, each from the environment): UPLOAD_THREADS, UPLOAD_BACKOFF_BASE_SECONDS,
UPLOAD_BACKOFF_MAX_SECONDS, UPLOAD_MAX_ATTEMPTS, UPLOAD_CLAIM_STALE_SECONDS, UPLOAD_MAX_PACKAGES_PER_RUN,
UPLOAD_CARRIERS_CACHE_SECONDS.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from orders.choices import Channel, EventKind, OrderStatus, UploadStatus
from orders.events import order_event
from orders.links import http_url_or_empty
from orders.models import Order, OrderItem, Package
from orders.rules import OrderRuleError
from sellercloud.models import User

from . import runs
from .accounts import AccountLock, carrier_labels, client_for
from .cdiscount.client import CdiscountClient
from .cdiscount.exceptions import ChannelAPIError, ChannelAuthError, PermanentChannelError, TransientChannelError
from .cdiscount.schemas import CLOSED_LINE_STATUSES
from .errors import unexpected_error
from .models import CarrierMapping, CdiscountAccount, SyncRun

logger = logging.getLogger(__name__)
# What the Sync Log and Failed Uploads say when our code fails (channels.errors).
CRASHED = unexpected_error(
    what="The upload stopped",
    event="upload_crashed",
    then="Packages still pending go with the next run; if it stops the same way, tell your administrator.",
)
PACKAGE_CRASHED = unexpected_error(
    what="Not sent", event="upload_package_crashed", then="The package is tried again by a later run."
)

SOURCE = "Cdiscount"
# Lines that do not travel with the parcel (reference 3.6: the marketplace wants every other line).
# A 429 on a POST was not processed: wait its Retry-After and send it again, at most this often
# and only for short waits; longer ones reschedule the package.
RATE_LIMIT_RESENDS = 3
RATE_LIMIT_MAX_WAIT_SECONDS = 10.0
HEARTBEAT_SECONDS = 5.0

__all__ = [
    "UPLOAD",
    "failed_uploads",
    "package_retry_upload",
    "package_upload_by_hand",
    "packages_set_pending",
    "upload_active_run",
    "upload_claim_due_accounts",
    "upload_execute",
    "upload_run_now",
    "upload_run_queued",
]


class UploadOutcome(StrEnum):
    """What one package's attempt came to."""

    UPLOADED = "uploaded"
    FAILED = "failed"
    DEFERRED = "deferred"  # a temporary fault: Pending, due again after a backoff
    SKIPPED = "skipped"  # withdrawn or claimed by another run meanwhile


class CarrierNotMapped(Exception):
    """The package's carrier has no Cdiscount name: a user must map it."""


class RunStopped(Exception):
    """The run must stop (credentials refused, lock lost): the package goes back untouched."""


# Runs ----------------------------------------------------------------------------------------


def _run_create(*, account: CdiscountAccount, trigger: str, user: User | None) -> SyncRun:
    return SyncRun.objects.create(
        account=account,
        kind=SyncRun.Kind.UPLOAD,
        trigger=trigger,
        user=user if user is not None and getattr(user, "is_authenticated", False) else None,
    )


def _execute(*, run: SyncRun, lock: AccountLock, **options: Any) -> SyncRun:
    return upload_execute(run=run, lock=lock, **options)


UPLOAD = runs.RunKind(
    kind=SyncRun.Kind.UPLOAD,
    noun="upload",
    lock_ttl_setting="UPLOAD_LOCK_TTL_SECONDS",
    create=_run_create,
    execute=_execute,
)


def upload_claim_due_accounts(*, now: datetime | None = None) -> list[int]:
    """Claim the accounts whose upload is due (see runs.accounts_claim_due)."""
    return runs.accounts_claim_due(kind=SyncRun.Kind.UPLOAD, now=now)


def upload_active_run(*, account: CdiscountAccount) -> SyncRun | None:
    """The upload run going on for this account, if any."""
    return runs.active_run(UPLOAD, account=account)


def upload_run_now(
    *,
    account: CdiscountAccount,
    trigger: str,
    user: User | None = None,
    run: SyncRun | None = None,
    client: CdiscountClient | None = None,
) -> SyncRun | None:
    """Run one upload of the account's due Pending packages in this process. Returns None,
    creating no run, when another upload of the account holds the lock."""
    options = {"client": client} if client is not None else {}
    return runs.run_now(UPLOAD, account=account, trigger=trigger, run=run, user=user, options=options)


def upload_run_queued(*, account_id: int, run_id: int | None) -> SyncRun | None:
    """What the upload task does (see runs.run_queued); the claims make a second delivery safe."""
    return runs.run_queued(UPLOAD, account_id=account_id, run_id=run_id)


def _due_package_ids(*, account: CdiscountAccount, now: datetime) -> list[int]:
    stale = now - timedelta(seconds=settings.UPLOAD_CLAIM_STALE_SECONDS)
    due = (
        Package.objects.filter(
            order__channel_account=account, order__channel=Channel.CDISCOUNT, upload_status=UploadStatus.PENDING
        )
        .filter(Q(next_upload_at__isnull=True) | Q(next_upload_at__lte=now))
        .filter(Q(upload_claimed_at__isnull=True) | Q(upload_claimed_at__lt=stale))
        .order_by("next_upload_at", "pk")
    )
    return list(due.values_list("pk", flat=True)[: settings.UPLOAD_MAX_PACKAGES_PER_RUN])


def _thread_count(wanted: int | None) -> int:
    """Threads for this run. One on SQLite (it serialises writers anyway), and one when the caller
    is inside a transaction: other threads could not see its uncommitted rows."""
    if connection.vendor == "sqlite" or connection.in_atomic_block:
        return 1
    return max(1, wanted if wanted is not None else settings.UPLOAD_THREADS)


def upload_execute(
    *,
    run: SyncRun,
    lock: AccountLock | None = None,
    client: CdiscountClient | None = None,
    package_ids: list[int] | None = None,
    claimed: bool = False,
    force_read: bool = False,
    threads: int | None = None,
) -> SyncRun:
    """Carry out a Queued upload run to its end (Completed, Partial Success or Failed).

    Without `package_ids` it takes the account's due Pending packages; with them (a user's retry)
    only those, already claimed by the caller when `claimed`, reading the order first when
    `force_read`. The caller holds the account's lock or passes None. Never raises for a
    marketplace fault: the packages and the run record it.
    """
    account = CdiscountAccount.objects.get(pk=run.account_id)
    now = timezone.now()
    run.status = SyncRun.Status.PROCESSING
    run.started_at = run.heartbeat_at = now
    run.save(update_fields=["status", "started_at", "heartbeat_at"])
    ctx = _Context(
        run=run,
        account=account,
        client=client or client_for(account),
        lock=lock,
        user=run.user,
        mappings={m.carrier.strip().casefold(): m for m in CarrierMapping.objects.filter(account=account)},
    )
    calls_before = ctx.client.calls.snapshot()["api"]
    try:
        ids = package_ids if package_ids is not None else _due_package_ids(account=account, now=now)
        ctx.total = len(ids)
        if not claimed:
            ctx.preloaded = _preload(ids)
        _run_packages(ctx, ids, threads=_thread_count(threads), claimed=claimed, force_read=force_read)
    except BaseException as exc:  # noqa: BLE001 - a bug or a soft time limit must still end the run visibly
        logger.exception("event=upload_crashed run=%s account=%s", run.pk, account.pk)
        ctx.stop_with(CRASHED)
        _finish(ctx, calls_before)
        if not isinstance(exc, Exception):
            raise
    else:
        _finish(ctx, calls_before)
    finally:
        if client is None:
            ctx.client.close()
    return run


@dataclass
class _Context:
    """One run's shared state; the counts and the pause are shared by its threads."""

    run: SyncRun
    account: CdiscountAccount
    client: CdiscountClient
    lock: AccountLock | None
    user: User | None
    mappings: dict[str, CarrierMapping]
    preloaded: dict[int, tuple[Package, list[str]]] = field(default_factory=dict)
    total: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(UploadOutcome, 0))
    log: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    stop_reason: str = ""
    _mutex: threading.Lock = field(default_factory=threading.Lock)
    _pause_until: float = 0.0
    _labels: dict[str, str] | None = None
    _lock_renewed: float = field(default_factory=time.monotonic)
    _heartbeat: float = field(default_factory=time.monotonic)

    def record(self, outcome: UploadOutcome, note: str = "") -> None:
        with self._mutex:
            self.counts[outcome] += 1
            if note:
                self.log.append(note)

    def note(self, line: str) -> None:
        with self._mutex:
            self.log.append(line)

    def stop_with(self, reason: str) -> None:
        with self._mutex:
            self.stop_reason = self.stop_reason or reason
        self.stop.set()

    def pause_for(self, seconds: float) -> None:
        """A 429: every thread of the run waits this long before its next call."""
        with self._mutex:
            self._pause_until = max(self._pause_until, time.monotonic() + seconds)

    def wait_if_paused(self) -> None:
        while True:
            with self._mutex:
                delay = self._pause_until - time.monotonic()
            if delay <= 0 or self.stop.is_set():
                return
            time.sleep(min(delay, 1.0))

    def carrier_labels(self) -> dict[str, str]:
        """Cdiscount's carrier labels (casefolded -> label), from Django's cache or GET /carriers."""
        with self._mutex:
            if self._labels is not None:
                return self._labels
        labels = {label.casefold(): label for label in carrier_labels(self.account, client=self.client)}
        with self._mutex:
            self._labels = labels
        return labels

    def tick(self, *, force: bool = False) -> None:
        """From the run's main thread: renew the lock (stop if lost) and write the heartbeat."""
        now = time.monotonic()
        if self.lock is not None and (force or now - self._lock_renewed > settings.UPLOAD_LOCK_TTL_SECONDS / 3):
            if not self.lock.renew():
                self.stop_with("Stopped: another run took over this account's upload lock.")
            self._lock_renewed = now
        if force or now - self._heartbeat > HEARTBEAT_SECONDS:
            self._heartbeat = now
            run = self.run
            self._copy_counts()
            run.heartbeat_at = timezone.now()
            run.save(update_fields=["heartbeat_at", "progress", "uploaded", "failed", "skipped"])

    def _copy_counts(self) -> None:
        with self._mutex:
            counts = dict(self.counts)
        run = self.run
        run.uploaded, run.failed, run.skipped = (
            counts[UploadOutcome.UPLOADED],
            counts[UploadOutcome.FAILED],
            counts[UploadOutcome.SKIPPED],
        )
        done = sum(counts.values())
        run.progress = (
            f"{done} of {self.total} packages: {counts[UploadOutcome.UPLOADED]} uploaded, "
            f"{counts[UploadOutcome.FAILED]} failed, {counts[UploadOutcome.DEFERRED]} to retry later, "
            f"{counts[UploadOutcome.SKIPPED]} skipped"
        )[:255]


def _run_packages(ctx: _Context, ids: list[int], *, threads: int, claimed: bool, force_read: bool) -> None:
    if threads <= 1 or len(ids) <= 1:
        for package_id in ids:
            if ctx.stop.is_set():
                break
            _upload_safely(ctx, package_id, claimed=claimed, force_read=force_read)
            ctx.tick()
        return
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for package_id in ids:
        todo.put(package_id)

    def work() -> None:
        try:
            while not ctx.stop.is_set():
                try:
                    package_id = todo.get_nowait()
                except queue.Empty:
                    return
                _upload_safely(ctx, package_id, claimed=claimed, force_read=force_read)
        finally:
            # Each thread has its own connection: close it, or PostgreSQL keeps it open.
            connections.close_all()

    pool = [
        threading.Thread(target=work, name=f"upload-{ctx.run.pk}-{i}", daemon=True)
        for i in range(min(threads, len(ids)))
    ]
    for thread in pool:
        thread.start()
    try:
        for thread in pool:
            while thread.is_alive():
                thread.join(timeout=1.0)
                ctx.tick()
    except BaseException:
        ctx.stop_with("Stopped before the end (the worker was asked to stop).")
        for thread in pool:
            thread.join(timeout=60)
        raise


def _upload_safely(ctx: _Context, package_id: int, *, claimed: bool, force_read: bool) -> None:
    """One package; a bug here is logged and the package rescheduled, the run goes on."""
    try:
        outcome = _upload_package(ctx, package_id, claimed=claimed, force_read=force_read)
    except Exception:
        logger.exception("event=upload_package_crashed run=%s package=%s", ctx.run.pk, package_id)
        try:
            Package.objects.filter(pk=package_id, upload_status=UploadStatus.PENDING).update(
                upload_claimed_at=None,
                next_upload_at=timezone.now() + timedelta(seconds=settings.UPLOAD_BACKOFF_BASE_SECONDS),
                upload_error=PACKAGE_CRASHED,
            )
        except Exception:
            logger.exception("event=upload_package_release_failed run=%s package=%s", ctx.run.pk, package_id)
        ctx.record(UploadOutcome.DEFERRED, f"Package {package_id}: {PACKAGE_CRASHED}")
        return
    ctx.record(outcome)


# One package ---------------------------------------------------------------------------------


@dataclass
class _Attempt:
    """One claimed package being uploaded, with what the run needs to record it."""

    ctx: _Context
    package: Package
    order: Order
    claimed_at: datetime
    line_ids: list[str]
    parcel: dict[str, Any] = field(default_factory=dict)

    @property
    def attempts(self) -> int:
        return self.package.upload_attempts


def _claim(package_id: int, now: datetime) -> bool:
    """The conditional UPDATE that makes this run the only one posting the package (SPEC S6);
    it counts the attempt too, so a later attempt knows to read the order first."""
    stale = now - timedelta(seconds=settings.UPLOAD_CLAIM_STALE_SECONDS)
    return bool(
        Package.objects.filter(pk=package_id, upload_status=UploadStatus.PENDING)
        .filter(Q(upload_claimed_at__isnull=True) | Q(upload_claimed_at__lt=stale))
        .filter(Q(next_upload_at__isnull=True) | Q(next_upload_at__lte=now))
        .update(upload_claimed_at=now, upload_attempts=F("upload_attempts") + 1)
    )


def _preload(package_ids: list[int]) -> dict[int, tuple[Package, list[str]]]:
    """The run's packages with their orders and shippable line ids, in a few queries (not three
    per package). Safe to read before the claims: a package that changed meanwhile (uploaded,
    withdrawn, deferred by another run) is no longer claimable, and its tracking never changes."""
    loaded: dict[int, tuple[Package, list[str]]] = {}
    for start in range(0, len(package_ids), 500):
        packages = list(Package.objects.filter(pk__in=package_ids[start : start + 500]).select_related("order"))
        lines: dict[int, list[str]] = {p.order_id: [] for p in packages}
        items = (
            OrderItem.objects.filter(order_id__in=list(lines))
            .exclude(channel_line_status__in=CLOSED_LINE_STATUSES)
            .exclude(channel_line_id="")
            .order_by("order_id", "pk")
            .values_list("order_id", "channel_line_id")
        )
        for order_id, line_id in items:
            lines[order_id].append(line_id)
        for package in packages:
            loaded[package.pk] = (package, lines[package.order_id])
    return loaded


def _upload_package(ctx: _Context, package_id: int, *, claimed: bool, force_read: bool) -> UploadOutcome:
    now = timezone.now()
    if not claimed and not _claim(package_id, now):
        return UploadOutcome.SKIPPED
    preloaded = None if claimed else ctx.preloaded.get(package_id)
    if preloaded is not None:
        package, line_ids = preloaded
        package.upload_attempts += 1  # what the claim did
        package.upload_claimed_at = now
    else:  # claimed by the caller (a user's retry): read it as it is now
        package, line_ids = _preload([package_id])[package_id]
    attempt = _Attempt(
        ctx=ctx, package=package, order=package.order, claimed_at=package.upload_claimed_at, line_ids=line_ids
    )
    # attempts counts this one: more than one means an earlier post may have reached Cdiscount.
    read_first = force_read or package.upload_attempts > 1
    try:
        return _attempt(attempt, read_first=read_first)
    except RunStopped:
        _release(attempt)
        return UploadOutcome.DEFERRED


def _attempt(a: _Attempt, *, read_first: bool) -> UploadOutcome:
    order, package = a.order, a.package
    if order.channel != Channel.CDISCOUNT or order.channel_account_id != a.ctx.account.pk:
        return _fail(a, "The order is not a Cdiscount order of this account.")
    line_ids = a.line_ids
    if not line_ids:
        return _fail(a, "The order has no line left to ship (every line is cancelled, refused or rejected).")
    try:
        carrier_name, tracking_url = _carrier_for(a)
    except CarrierNotMapped as exc:
        return _fail(a, str(exc))
    except ChannelAPIError as exc:
        return _api_fault(a, exc, "reading Cdiscount's carriers")
    a.parcel = {
        "parcelNumber": package.tracking_number,
        "carrierName": carrier_name,
        "trackingUrl": tracking_url,
        "orderLineIds": line_ids,
    }
    read = False
    if read_first:
        # Never post twice: an earlier attempt may have reached Cdiscount without an answer.
        try:
            numbers = _parcels_on_marketplace(a)
        except ChannelAPIError as exc:
            return _api_fault(a, exc, "reading the order before posting again")
        read = True
        if package.tracking_number in numbers:
            return _mark_uploaded(a, already_there=True)
        if numbers:
            return _fail(
                a,
                f"Cdiscount already has parcel {sorted(numbers)[0]} for this order and accepts one parcel per "
                "order: check the order on the Cdiscount portal.",
            )
    try:
        _post(a, carrier_name=carrier_name, tracking_url=tracking_url, line_ids=line_ids)
    except ChannelAuthError as exc:
        return _api_fault(a, exc, "posting the shipment")
    except PermanentChannelError as exc:
        if not read:
            # The refusal may be about our own earlier parcel: look before calling it Failed.
            try:
                if package.tracking_number in _parcels_on_marketplace(a):
                    return _mark_uploaded(a, already_there=True)
            except ChannelAPIError:
                pass  # the refusal stands
        return _fail(a, marketplace_message(exc), exc)
    except TransientChannelError as exc:
        return _defer(a, exc)
    return _mark_uploaded(a, already_there=False)


def _carrier_for(a: _Attempt) -> tuple[str, str]:
    """Cdiscount's carrier name and the tracking URL for the package."""
    package = a.package
    key = package.carrier.strip().casefold()
    mapping = a.ctx.mappings.get(key)
    template = ""
    if mapping is not None and mapping.cdiscount_carrier.strip():
        name = mapping.cdiscount_carrier.strip()
        template = mapping.tracking_url_template
    else:
        label = a.ctx.carrier_labels().get(key)
        if label is None:
            raise CarrierNotMapped(
                f"carrier {package.carrier} is not mapped to a Cdiscount carrier: "
                "add it under General Settings > Fulfillment"
            )
        name = label
    # A URL stored before URLs were checked may be anything: only http(s) leaves the building.
    url = http_url_or_empty(package.tracking_url)
    if not url and template:
        url = template.replace("{tracking_number}", quote(package.tracking_number, safe=""))
    return name, url


def _parcels_on_marketplace(a: _Attempt) -> set[str]:
    """The parcel numbers Cdiscount shows on the order (GET /orders/{orderId})."""
    item = a.ctx.client.fetch_order(order_id=a.order.channel_order_id)
    return _parcel_numbers(item.raw)


def _parcel_numbers(raw: Any) -> set[str]:
    """Parcel numbers in a raw order (tolerant: a malformed order must not hide a parcel)."""
    numbers: set[str] = set()
    lines = raw.get("lines") if isinstance(raw, dict) else None
    for line in lines if isinstance(lines, list) else []:
        parcels = line.get("parcels") if isinstance(line, dict) else None
        for parcel in parcels if isinstance(parcels, list) else []:
            if isinstance(parcel, dict) and parcel.get("parcelNumber"):
                numbers.add(str(parcel["parcelNumber"]))
    return numbers


def _post(a: _Attempt, *, carrier_name: str, tracking_url: str, line_ids: list[str]) -> None:
    """POST the parcel. A 429 was not processed: wait its Retry-After (all threads pause) and
    send again, a few times at most; anything else goes to the caller."""
    for resend in range(RATE_LIMIT_RESENDS + 1):
        a.ctx.wait_if_paused()
        if a.ctx.stop.is_set():
            raise RunStopped()
        try:
            a.ctx.client.ship_order(
                order_id=a.order.channel_order_id,
                parcel_number=a.package.tracking_number,
                carrier_name=carrier_name,
                order_line_ids=line_ids,
                tracking_url=tracking_url or None,
            )
            return
        except TransientChannelError as exc:
            wait = exc.retry_after if exc.retry_after is not None else 1.0
            if (
                exc.status == 429
                and not exc.request_may_have_been_processed
                and wait <= RATE_LIMIT_MAX_WAIT_SECONDS
                and resend < RATE_LIMIT_RESENDS
            ):
                a.ctx.pause_for(wait)
                continue
            raise


def marketplace_message(exc: ChannelAPIError) -> str:
    """Why the marketplace refused a shipment, in its own words."""
    status = f" (HTTP {exc.status})" if exc.status else ""
    return f"Cdiscount refused the shipment{status}: {exc.marketplace_words}"


# Recording outcomes --------------------------------------------------------------------------


def _mine(a: _Attempt) -> QuerySet[Package]:
    # Only while our claim stands (a claim gone stale and taken by another run is theirs now) and
    # the package still waits (a download that saw the parcel may have marked it Uploaded).
    return Package.objects.filter(pk=a.package.pk, upload_status=UploadStatus.PENDING, upload_claimed_at=a.claimed_at)


def _mark_uploaded(a: _Attempt, *, already_there: bool) -> UploadOutcome:
    now = timezone.now()
    package, ctx = a.package, a.ctx
    number = package.tracking_number
    with transaction.atomic():
        # By primary key, whatever the status now: the parcel is on Cdiscount, that is the truth.
        Package.objects.filter(pk=package.pk).update(
            upload_status=UploadStatus.UPLOADED,
            uploaded_at=now,
            upload_error="",
            upload_claimed_at=None,
            next_upload_at=None,
        )
        Order.objects.filter(pk=a.order.pk, ship_confirmed_at__isnull=True).update(ship_confirmed_at=now)
        if already_there:
            message = (
                f"Tracking {number} was already on Cdiscount (an earlier upload whose answer was lost): "
                "marked Uploaded, Ship Confirmed"
            )
        else:
            message = f"Tracking uploaded to Cdiscount ({a.parcel.get('carrierName')} {number}): Ship Confirmed"
        order_event(
            order=a.order,
            kind=EventKind.UPLOAD,
            message=message,
            user=ctx.user,
            source="" if ctx.user else SOURCE,
            data={
                "package_id": package.pk,
                "run_id": ctx.run.pk,
                "attempts": package.upload_attempts,
                "already_there": already_there,
                **a.parcel,
            },
        )
    logger.debug(  # one line per run and per failure (SPEC S6); successes are counted in the run
        "event=upload_package_uploaded run=%s account=%s package=%s order=%s already_there=%s",
        ctx.run.pk,
        ctx.account.pk,
        package.pk,
        a.order.channel_order_id,
        already_there,
    )
    return UploadOutcome.UPLOADED


def _fail(a: _Attempt, message: str, exc: ChannelAPIError | None = None) -> UploadOutcome:
    """A refusal: Failed with the marketplace's words, shown on the order; only a user retries it."""
    package, ctx = a.package, a.ctx
    with transaction.atomic():
        updated = _mine(a).update(
            upload_status=UploadStatus.FAILED, upload_error=message[:2000], upload_claimed_at=None, next_upload_at=None
        )
        if not updated:
            return UploadOutcome.SKIPPED  # the claim went stale and another run has the package now
        data: dict[str, Any] = {"package_id": package.pk, "run_id": ctx.run.pk, "attempts": package.upload_attempts}
        if exc is not None:
            data.update(status=exc.status, title=exc.title, detail=exc.detail, errors=exc.errors)
        order_event(
            order=a.order,
            kind=EventKind.UPLOAD,
            message=f"Tracking upload to Cdiscount failed: {message}",
            user=ctx.user,
            source="" if ctx.user else SOURCE,
            data=data,
        )
    ctx.note(f"Order {a.order.channel_order_id} (package {package.pk}): {message}")
    logger.warning(
        "event=upload_package_failed run=%s account=%s package=%s order=%s message=%s",
        ctx.run.pk,
        ctx.account.pk,
        package.pk,
        a.order.channel_order_id,
        message[:300],
    )
    return UploadOutcome.FAILED


def _backoff(attempts: int, retry_after: float | None) -> float:
    base = settings.UPLOAD_BACKOFF_BASE_SECONDS
    delay = min(settings.UPLOAD_BACKOFF_MAX_SECONDS, base * 2 ** max(0, attempts - 1))
    delay *= 0.8 + random.random() * 0.4  # jitter: packages that failed together do not return together
    return max(delay, retry_after or 0.0)


def _defer(a: _Attempt, exc: TransientChannelError) -> UploadOutcome:
    """A temporary fault: Pending again, due after a backoff; a later run takes it (reading the
    order first, since this post may have been recorded)."""
    package, ctx = a.package, a.ctx
    if package.upload_attempts >= settings.UPLOAD_MAX_ATTEMPTS:
        return _fail(a, f"Gave up after {package.upload_attempts} attempts; the last error: {exc}", exc)
    due = timezone.now() + timedelta(seconds=_backoff(package.upload_attempts, exc.retry_after))
    if not _mine(a).update(
        upload_claimed_at=None,
        next_upload_at=due,
        upload_error=f"Temporary error on attempt {package.upload_attempts}, retried later: {exc}"[:2000],
    ):
        return UploadOutcome.SKIPPED  # the claim went stale and another run has the package now
    logger.info(
        "event=upload_package_deferred run=%s account=%s package=%s order=%s attempts=%d due=%s error=%s",
        ctx.run.pk,
        ctx.account.pk,
        package.pk,
        a.order.channel_order_id,
        package.upload_attempts,
        due.isoformat(),
        str(exc)[:200],
    )
    return UploadOutcome.DEFERRED


def _api_fault(a: _Attempt, exc: ChannelAPIError, doing: str) -> UploadOutcome:
    """A fault outside the post itself: credentials stop the run, temporary faults defer, other
    refusals fail the package with the marketplace's words."""
    if isinstance(exc, ChannelAuthError):
        a.ctx.stop_with(f"Cdiscount refused the credentials while {doing}: {exc}")
        raise RunStopped()
    if isinstance(exc, TransientChannelError):
        return _defer(a, exc)
    return _fail(a, marketplace_message(exc), exc)


def _release(a: _Attempt) -> None:
    """Give the package back as it was (due now), for the next run."""
    _mine(a).update(upload_claimed_at=None)


def _finish(ctx: _Context, calls_before: int) -> None:
    run, account = ctx.run, ctx.account
    ctx._copy_counts()
    deferred = ctx.counts[UploadOutcome.DEFERRED]
    if ctx.stop_reason:
        status = SyncRun.Status.FAILED
    elif run.failed or deferred:
        status = SyncRun.Status.PARTIAL
    else:
        status = SyncRun.Status.COMPLETED
    if deferred:
        ctx.log.append(f"{deferred} package(s) met a temporary error and will be retried by a later run.")
    run.status = status
    run.error = ctx.stop_reason[:2000]
    run.finished_at = run.heartbeat_at = timezone.now()
    run.api_calls = ctx.client.calls.snapshot()["api"] - calls_before
    run.log = "\n".join(ctx.log)
    run.save()
    logger.info(
        "event=upload_finished run=%s account=%s status=%s packages=%d uploaded=%d failed=%d deferred=%d "
        "skipped=%d api_calls=%d error=%s",
        run.pk,
        account.pk,
        status,
        ctx.total,
        run.uploaded,
        run.failed,
        deferred,
        run.skipped,
        run.api_calls,
        run.error[:200] or "-",
    )


# What users ask for --------------------------------------------------------------------------


def failed_uploads(*, account: CdiscountAccount) -> QuerySet[Package]:
    """The account's Failed uploads, newest first, with their orders (the failed-uploads list and
    the health card's count)."""
    return (
        Package.objects.filter(order__channel_account=account, upload_status=UploadStatus.FAILED)
        .select_related("order")
        .order_by("-created_at", "-pk")
    )


def _cdiscount_account_of(package: Package) -> CdiscountAccount:
    order = package.order
    if not order.is_cdiscount or order.channel_account_id is None:
        raise OrderRuleError("Only packages of Cdiscount orders are uploaded to Cdiscount.")
    return CdiscountAccount.objects.get(pk=order.channel_account_id)


def _upload_one_now(*, account: CdiscountAccount, package: Package, by: User | None) -> Package:
    """Upload one package the caller has claimed, now, reading the order first; in a SyncRun of
    its own (trigger Retry) so its calls show in the Sync Log."""
    run = _run_create(account=account, trigger=SyncRun.Trigger.RETRY, user=by)
    upload_execute(run=run, package_ids=[package.pk], claimed=True, force_read=True, threads=1)
    package.refresh_from_db()
    return package


def package_retry_upload(*, package: Package, by: User | None) -> Package:
    """Retry upload (Order Details): a Failed (or waiting Pending) package is uploaded now. The
    order is read from Cdiscount first: a parcel already there makes it Uploaded without posting.

    Runs in the caller's thread (a read and a post, within the client's timeouts). Returns the
    package as it ends: Uploaded, Failed again (with the marketplace's words) or Pending (a
    temporary fault; a later run takes it). Raises OrderRuleError when it cannot be retried.
    """
    package = Package.objects.select_related("order").get(pk=package.pk)
    account = _cdiscount_account_of(package)
    if package.upload_status not in (UploadStatus.FAILED, UploadStatus.PENDING):
        raise OrderRuleError(f"The package is {package.get_upload_status_display()}: there is nothing to retry.")
    now = timezone.now()
    stale = now - timedelta(seconds=settings.UPLOAD_CLAIM_STALE_SECONDS)
    with transaction.atomic():
        claimed = (
            Package.objects.filter(pk=package.pk, upload_status__in=[UploadStatus.FAILED, UploadStatus.PENDING])
            .filter(Q(upload_claimed_at__isnull=True) | Q(upload_claimed_at__lt=stale))
            .update(
                upload_status=UploadStatus.PENDING,
                upload_claimed_at=now,
                next_upload_at=now,
                upload_attempts=F("upload_attempts") + 1,
            )
        )
        if not claimed:
            raise OrderRuleError("This package is being uploaded right now: refresh the page in a moment.")
        order_event(
            order=package.order,
            kind=EventKind.UPLOAD,
            message=f"Upload retry of tracking {package.tracking_number} requested",
            user=by,
            data={"package_id": package.pk, "previous_status": package.upload_status},
        )
    return _upload_one_now(account=account, package=package, by=by)


def package_upload_by_hand(*, package: Package, by: User | None) -> Package:
    """Upload a Not Required package (fulfillment upload off for the account) by hand, now.

    The package becomes Pending and is uploaded at once in the caller's thread, reading the order
    first (the tracking may have been entered on the Cdiscount portal already). Returns it as it
    ends (Uploaded, Failed, or Pending after a temporary fault: a later upload run takes it, even
    with the account's scheduled upload off, as soon as someone runs Upload Fulfillment Now).
    """
    package = Package.objects.select_related("order").get(pk=package.pk)
    account = _cdiscount_account_of(package)
    order = package.order
    if package.upload_status != UploadStatus.NOT_REQUIRED:
        raise OrderRuleError(f"The package is {package.get_upload_status_display()}: it is not uploaded by hand.")
    if order.status == OrderStatus.CANCELED:
        raise OrderRuleError("The order is Canceled: its tracking is not sent to Cdiscount.")
    if order.ship_confirmed_at:
        raise OrderRuleError("Cdiscount already reports the order shipped (Ship Confirmed): nothing to upload.")
    now = timezone.now()
    with transaction.atomic():
        claimed = Package.objects.filter(pk=package.pk, upload_status=UploadStatus.NOT_REQUIRED).update(
            upload_status=UploadStatus.PENDING,
            upload_claimed_at=now,
            next_upload_at=now,
            upload_attempts=F("upload_attempts") + 1,
        )
        if not claimed:
            raise OrderRuleError("This package changed meanwhile: refresh the page.")
        order_event(
            order=order,
            kind=EventKind.UPLOAD,
            message=f"Upload of tracking {package.tracking_number} to Cdiscount requested by hand",
            user=by,
            data={"package_id": package.pk},
        )
    return _upload_one_now(account=account, package=package, by=by)


def packages_set_pending(*, account: CdiscountAccount, by: User | None, package_ids: list[int] | None = None) -> int:
    """Retry the account's Failed uploads (all, or the given ones): each becomes Pending, due now
    (channels.dispatch then queues a run). Each is read from Cdiscount before it is posted again
    (its attempts are kept above zero), so none is ever posted twice. Returns how many."""
    failed = Package.objects.filter(order__channel_account=account, upload_status=UploadStatus.FAILED)
    if package_ids is not None:
        failed = failed.filter(pk__in=package_ids)
    now = timezone.now()
    with transaction.atomic():
        rows = list(failed.select_for_update(of=("self",)).values_list("pk", "order_id", "tracking_number"))
        count = Package.objects.filter(pk__in=[r[0] for r in rows], upload_status=UploadStatus.FAILED).update(
            upload_status=UploadStatus.PENDING,
            next_upload_at=now,
            upload_claimed_at=None,
            # 1: tried before (so the order is read first), and the backoff starts over.
            upload_attempts=1,
        )
        for package_id, order_id, number in rows:
            order_event(
                order=Order(pk=order_id),
                kind=EventKind.UPLOAD,
                message=f"Upload retry of tracking {number} requested",
                user=by,
                data={"package_id": package_id, "previous_status": UploadStatus.FAILED},
            )
    return count
