"""Channel services: the work behind the sync tasks, commands and settings pages."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from sellercloud.models import User

from .accounts import AccountLock, account_lock
from .download.engine import download_execute, run_create
from .models import CdiscountAccount, SyncProblem, SyncRun

logger = logging.getLogger(__name__)

LOCK_DOWNLOAD = "download"


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


# Each scheduled kind of job: (its switch, its next-due time, its interval in minutes).
SCHEDULES = {
    SyncRun.Kind.DOWNLOAD: ("download_enabled", "next_download_at", "download_interval_minutes"),
    SyncRun.Kind.UPLOAD: ("upload_enabled", "next_upload_at", "upload_interval_minutes"),
}


def accounts_claim_due(*, kind: str, now: datetime | None = None) -> list[int]:
    """Claim every account whose job of this kind is due, each with a conditional UPDATE that moves
    its next-due time along its schedule: two beats or a slow tick never claim the same slot twice.
    Returns the claimed account ids."""
    enabled, due_field, interval_field = SCHEDULES[kind]
    now = now or timezone.now()
    claimed = []
    due = CdiscountAccount.objects.filter(enabled=True, **{enabled: True}).filter(
        Q(**{f"{due_field}__lte": now}) | Q(**{f"{due_field}__isnull": True})
    )
    for account_id, due_at, minutes in due.values_list("pk", due_field, interval_field):
        new_due = next_due_after(due=due_at or now, interval=timedelta(minutes=minutes), now=now)
        if CdiscountAccount.objects.filter(pk=account_id, **{due_field: due_at}).update(**{due_field: new_due}):
            claimed.append(account_id)
    return claimed


def download_claim_due_accounts(*, now: datetime | None = None) -> list[int]:
    """Claim the accounts whose download is due (see accounts_claim_due)."""
    return accounts_claim_due(kind=SyncRun.Kind.DOWNLOAD, now=now)


def sync_runs_fail_stale(*, now: datetime | None = None) -> int:
    """Mark Failed the runs whose heartbeat stopped (their worker was killed)."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.DOWNLOAD_STALE_SECONDS)
    stale = SyncRun.objects.filter(status=SyncRun.Status.PROCESSING, heartbeat_at__lt=cutoff)
    count = 0
    for run in list(stale):
        failed = SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.PROCESSING, heartbeat_at__lt=cutoff).update(
            status=SyncRun.Status.FAILED,
            finished_at=now,
            error=f"The worker stopped: no heartbeat since {run.heartbeat_at.isoformat()}. "
            "The next run covers its window again.",
        )
        if failed:
            count += 1
            CdiscountAccount.objects.filter(pk=run.account_id).update(
                consecutive_failures=F("consecutive_failures") + 1
            )
            logger.warning("event=sync_run_stale run=%s account=%s", run.pk, run.account_id)
    return count


# Download ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunRequest:
    """What a manual Download Orders or Upload Fulfillment Now did."""

    run: SyncRun | None  # the queued run, when one was queued
    running: SyncRun | None  # the run already going, when there was one


DownloadRequest = RunRequest


def active_run(*, account: CdiscountAccount, kind: str) -> SyncRun | None:
    """The run of this kind going on for the account, if any (its lock live, a run in progress)."""
    if not AccountLock(account_id=account.pk, kind=kind).is_held():
        return None
    return account.sync_runs.filter(kind=kind, status__in=SyncRun.ACTIVE_STATUSES).first()


def download_active_run(*, account: CdiscountAccount) -> SyncRun | None:
    return active_run(account=account, kind=SyncRun.Kind.DOWNLOAD)


def download_request(
    *,
    account: CdiscountAccount,
    user: User | None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    channel_order_id: str = "",
    trigger: str = SyncRun.Trigger.MANUAL,
) -> DownloadRequest:
    """Manual Download Orders / Download Order by ID: queue a run in the background, unless a
    download of this account is already going (then say so, with that run)."""
    if date_from and date_to and date_from > date_to:
        raise ValueError("From must be before To.")
    running = download_active_run(account=account)
    if running is not None:
        return DownloadRequest(run=None, running=running)
    from .tasks import download_account_task

    with transaction.atomic():
        run = run_create(
            account=account,
            trigger=trigger,
            user=user,
            window_from=date_from,
            window_to=date_to,
            channel_order_id=channel_order_id.strip(),
        )
        transaction.on_commit(lambda: download_account_task.delay(account.pk, run.pk))
    return DownloadRequest(run=run, running=None)


def download_run_now(
    *,
    account: CdiscountAccount,
    trigger: str,
    run: SyncRun | None = None,
    user: User | None = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    channel_order_id: str = "",
    bypass_lock: bool = False,
) -> SyncRun | None:
    """Run one download in this process. Returns None, creating no run, when another download
    of the account holds the lock (a scheduled run then simply exits)."""

    def new_run() -> SyncRun:
        return run_create(
            account=account,
            trigger=trigger,
            user=user,
            window_from=date_from,
            window_to=date_to,
            channel_order_id=channel_order_id,
        )

    if bypass_lock:
        return download_execute(run=run or new_run(), lock=None)
    with account_lock(account_id=account.pk, kind=LOCK_DOWNLOAD) as lock:
        if lock is None:
            logger.info("event=download_skipped_locked account=%s", account.pk)
            if run is not None:
                sync_run_fail_queued(
                    run=run, message="Another download of this account was running: this one did not start."
                )
            return None
        return download_execute(run=run or new_run(), lock=lock)


def download_run_queued(*, account_id: int, run_id: int | None, bypass_lock: bool = False) -> SyncRun | None:
    """What the download task does: a scheduled run (no run yet) or a queued manual one.

    With acks_late a task can be delivered again after its worker died: a run that is no longer
    Queued is then re-run as a new run with the same request, unless it is still alive.
    """
    account = CdiscountAccount.objects.get(pk=account_id)
    if run_id is None:
        return download_run_now(account=account, trigger=SyncRun.Trigger.SCHEDULE, bypass_lock=bypass_lock)
    run = SyncRun.objects.get(pk=run_id)
    if run.status != SyncRun.Status.QUEUED:
        if run.status == SyncRun.Status.PROCESSING and download_active_run(account=account) is not None:
            return None  # delivered again while it still runs elsewhere
        if run.status in SyncRun.SUCCESS_STATUSES:
            return run
        run = run_create(
            account=account,
            trigger=run.trigger,
            user=run.user,
            window_from=run.window_from if run.is_backfill else None,
            window_to=run.window_to if run.is_backfill else None,
            channel_order_id=run.channel_order_id,
        )
    return download_run_now(account=account, trigger=run.trigger, run=run)


def sync_run_fail_queued(*, run: SyncRun, message: str) -> None:
    """A queued run that will not start (another run of its kind holds the lock) is Failed with why."""
    SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.QUEUED).update(
        status=SyncRun.Status.FAILED, error=message, finished_at=timezone.now()
    )


def sync_problem_retry(*, problem: SyncProblem, user: User | None) -> SyncRun | None:
    """Retry one failed order: download it again by id; the problem is resolved once it imports."""
    run = download_run_now(
        account=problem.run.account,
        trigger=SyncRun.Trigger.RETRY,
        user=user,
        channel_order_id=problem.channel_order_id,
    )
    if run is not None and run.status == SyncRun.Status.COMPLETED:
        SyncProblem.objects.filter(
            run__account=problem.run.account, channel_order_id=problem.channel_order_id, resolved_at__isnull=True
        ).update(resolved_at=timezone.now())
    return run


# Retention -----------------------------------------------------------------------------------


def sync_runs_purge(*, older_than_days: int | None = None) -> int:
    """Delete finished SyncRuns older than the retention (SPEC S6), keeping every run that still
    has an unresolved problem (its Retry must stay reachable). Returns how many were deleted."""
    days = settings.SYNC_RUN_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    unresolved = SyncProblem.objects.filter(run=OuterRef("pk"), resolved_at__isnull=True)
    old = (
        SyncRun.objects.filter(queued_at__lt=cutoff)
        .exclude(status__in=SyncRun.ACTIVE_STATUSES)
        .exclude(Exists(unresolved))
    )
    _, per_model = old.delete()
    count = per_model.get(SyncRun._meta.label, 0)
    logger.info("event=sync_runs_purged count=%d cutoff=%s", count, cutoff.isoformat())
    return count
