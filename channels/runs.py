"""One framework for an account's background runs: download and upload today, invoice upload and
reconciliation to come (SPEC S6, S8).

A kind of run (RunKind) says how to create its Queued SyncRun, how to carry it out, how long its
lock lives, and what to ask again when a run must be done anew. Everything else is shared:
claiming due accounts on the schedule, queueing a manual run unless one is going, running now
under the account's lock of that kind, what a task does when (re)delivered, failing a queued run
that found the lock held, and failing the runs whose worker died.

Nothing here sends work to Celery: the caller passes `enqueue` (channels.dispatch does), so that
tasks import services and never the other way round.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from sellercloud.models import User

from .accounts import AccountLock
from .models import CdiscountAccount, SyncRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunKind:
    """What differs between kinds of run; see the module docstring."""

    kind: str  # a SyncRun.Kind, also the name of the account's lock for it
    noun: str  # "download", "upload": for messages
    lock_ttl_setting: str  # the setting that holds its lock's expiry, in seconds
    # create(account=, trigger=, user=, **request) -> a Queued run
    create: Callable[..., SyncRun]
    # execute(run=, lock=, **options) -> the run, finished
    execute: Callable[..., SyncRun]
    # The request of a run that must be done again as a new run (its backfill window, its order).
    redo: Callable[[SyncRun], dict[str, Any]] = lambda run: {}

    @property
    def lock_ttl(self) -> float:
        return float(getattr(settings, self.lock_ttl_setting))

    def lock(self, account_id: int) -> AccountLock:
        """The account's lock of this kind, with this kind's own expiry."""
        return AccountLock(account_id=account_id, kind=self.kind, ttl=self.lock_ttl)


@dataclass(frozen=True)
class RunRequest:
    """What a manual Download Orders or Upload Fulfillment Now did."""

    run: SyncRun | None  # the queued run, when one was queued
    running: SyncRun | None  # the run already going, when there was one


def calls_note(before: Mapping[str, float], after: Mapping[str, float]) -> str:
    """What a run's calls met on the way, for its log (issue 24): rate limits and the time waited,
    calls sent again after a temporary fault, token requests. Empty when none."""
    met = []
    if limits := int(after["rate_limit"] - before["rate_limit"]):
        waited = after["wait_seconds"] - before["wait_seconds"]
        met.append(f"{limits} rate limit{'s' if limits > 1 else ''} (HTTP 429), {waited:.1f} s waited in all")
    if retries := int(after["retry"] - before["retry"]):
        met.append(f"{retries} call{'s' if retries > 1 else ''} sent again after a temporary fault")
    if tokens := int(after["token"] - before["token"]):
        met.append(f"{tokens} token request{'s' if tokens > 1 else ''}")
    return f"On the way: {'; '.join(met)}." if met else ""


# Scheduling ----------------------------------------------------------------------------------


def next_due_after(*, due: datetime, interval: timedelta, now: datetime) -> datetime:
    """The next due time on the account's schedule: `due` plus whole intervals, past `now`.

    From the schedule, not from now, so a 1-minute interval does not drift to 2; missed ticks
    after a downtime are skipped, not replayed.
    """
    if due > now:
        return due
    missed = (now - due) // interval
    return due + (missed + 1) * interval


# Each scheduled kind of run: (its switch, its next-due time, its interval in minutes).
SCHEDULES: dict[str, tuple[str, str, str]] = {
    SyncRun.Kind.DOWNLOAD: ("download_enabled", "next_download_at", "download_interval_minutes"),
    SyncRun.Kind.UPLOAD: ("upload_enabled", "next_upload_at", "upload_interval_minutes"),
    # Invoices go on the fulfillment upload's interval (one setting for the seller to think of).
    SyncRun.Kind.INVOICE_UPLOAD: ("invoice_upload_enabled", "next_invoice_upload_at", "upload_interval_minutes"),
}


@dataclass(frozen=True)
class Claim:
    """One scheduled run claimed by a tick: whose, and when it falls due (its task's ETA)."""

    account_id: int
    due_at: datetime


def schedule_tick() -> timedelta:
    """How often the beat ticks (CELERY_BEAT_SCHEDULE uses the same setting)."""
    return timedelta(seconds=settings.SCHEDULE_TICK_SECONDS)


def accounts_claim_due(*, kind: str, now: datetime | None = None) -> list[Claim]:
    """Claim every account whose run of this kind falls due before the next tick, each with a
    conditional UPDATE that moves its next-due time along its schedule: two beats or a slow tick
    never claim the same slot twice. A slot still ahead is started at its time (the task's ETA),
    not at the tick after it, so a run never starts up to a tick late (issue 24)."""
    enabled, due_field, interval_field = SCHEDULES[kind]
    now = now or timezone.now()
    claimed = []
    due = CdiscountAccount.objects.filter(enabled=True, **{enabled: True}).filter(
        Q(**{f"{due_field}__lte": now + schedule_tick()}) | Q(**{f"{due_field}__isnull": True})
    )
    for account_id, due_at, minutes in due.values_list("pk", due_field, interval_field):
        slot = max(due_at or now, now)
        new_due = next_due_after(due=due_at or now, interval=timedelta(minutes=minutes), now=slot)
        if CdiscountAccount.objects.filter(pk=account_id, **{due_field: due_at}).update(**{due_field: new_due}):
            claimed.append(Claim(account_id, slot))
    return claimed


def reschedule(account: CdiscountAccount, *, kind: str, now: datetime) -> None:
    """A new interval, or the run switched on, takes effect at once (issue 24): the next run is
    due one new interval after the last one started, or now if that is past. Sets the field;
    the caller saves it."""
    _enabled, due_field, interval_field = SCHEDULES[kind]
    last = (
        SyncRun.objects.filter(account=account, kind=kind)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    interval = timedelta(minutes=getattr(account, interval_field))
    setattr(account, due_field, max(now, last + interval) if last else now)


def sync_runs_fail_stale(*, now: datetime | None = None) -> int:
    """Mark Failed the runs whose heartbeat stopped (their worker was killed)."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.DOWNLOAD_STALE_SECONDS)
    stale = SyncRun.objects.filter(status=SyncRun.Status.PROCESSING, heartbeat_at__lt=cutoff)
    count = 0
    for run in list(stale):
        assert run.heartbeat_at is not None  # the filter above compared it
        # A download's next run pages its window again; an upload has no window: what it did not
        # post stays due (its claims lapse) for the next one.
        then = "covers its window again" if run.kind == SyncRun.Kind.DOWNLOAD else "takes up what it left"
        failed = SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.PROCESSING, heartbeat_at__lt=cutoff).update(
            status=SyncRun.Status.FAILED,
            finished_at=now,
            error=f"The worker stopped: no heartbeat since {run.heartbeat_at.isoformat()}. The next run {then}.",
        )
        if failed:
            count += 1
            CdiscountAccount.objects.filter(pk=run.account_id).update(
                consecutive_failures=F("consecutive_failures") + 1
            )
            logger.warning("event=sync_run_stale run=%s account=%s", run.pk, run.account_id)
    return count


# Runs ----------------------------------------------------------------------------------------


def active_run(kind: RunKind, *, account: CdiscountAccount) -> SyncRun | None:
    """The run of this kind going on for the account, if any (its lock live, a run in progress)."""
    if not kind.lock(account.pk).is_held():
        return None
    return account.sync_runs.filter(kind=kind.kind, status__in=SyncRun.ACTIVE_STATUSES).first()


def run_request(
    kind: RunKind,
    *,
    account: CdiscountAccount,
    user: User | None,
    enqueue: Callable[[SyncRun], object],
    trigger: str = SyncRun.Trigger.MANUAL,
    **request: Any,
) -> RunRequest:
    """Queue a run in the background (enqueued once the transaction commits), unless one of this
    kind is already going for the account: then say so, with that run."""
    running = active_run(kind, account=account)
    if running is not None:
        return RunRequest(run=None, running=running)
    with transaction.atomic():
        run = kind.create(account=account, trigger=trigger, user=user, **request)
        transaction.on_commit(lambda: enqueue(run))
    return RunRequest(run=run, running=None)


def run_now(
    kind: RunKind,
    *,
    account: CdiscountAccount,
    trigger: str,
    run: SyncRun | None = None,
    user: User | None = None,
    options: dict[str, Any] | None = None,
    **request: Any,
) -> SyncRun | None:
    """Carry out one run in this process under the account's lock of this kind. Returns None,
    creating no run, when another run of the kind holds the lock (a queued `run` is then Failed
    with why). `options` go to the kind's execute (a client, for instance)."""
    lock = kind.lock(account.pk)
    if not lock.acquire():
        logger.info("event=%s_skipped_locked account=%s", kind.noun, account.pk)
        if run is not None:
            run_fail_queued(
                run=run, message=f"Another {kind.noun} of this account was running: this one did not start."
            )
        return None
    try:
        run = run or kind.create(account=account, trigger=trigger, user=user, **request)
        return kind.execute(run=run, lock=lock, **(options or {}))
    finally:
        lock.release()


def run_queued(kind: RunKind, *, account_id: int, run_id: int | None) -> SyncRun | None:
    """What a run's task does: a scheduled run (no run yet) or a queued manual one.

    With acks_late a task can be delivered again after its worker died: a run no longer Queued is
    left alone while it still runs elsewhere or when it finished well, and otherwise done again as
    a new run with the same request.
    """
    account = CdiscountAccount.objects.get(pk=account_id)
    if run_id is None:
        return run_now(kind, account=account, trigger=SyncRun.Trigger.SCHEDULE)
    run = SyncRun.objects.select_related("user").get(pk=run_id)
    if run.status != SyncRun.Status.QUEUED:
        if run.status == SyncRun.Status.PROCESSING and active_run(kind, account=account) is not None:
            return None  # delivered again while it still runs elsewhere
        if run.status in SyncRun.SUCCESS_STATUSES:
            return run
        run = kind.create(account=account, trigger=run.trigger, user=run.user, **kind.redo(run))
    return run_now(kind, account=account, trigger=run.trigger, run=run, user=run.user)


def run_fail_queued(*, run: SyncRun, message: str) -> None:
    """A queued run that will not start (another run of its kind holds the lock) is Failed with why."""
    SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.QUEUED).update(
        status=SyncRun.Status.FAILED, error=message, finished_at=timezone.now()
    )
