"""Channel services: the download runs, problem retries and retention behind the tasks, commands
and pages. Runs go through the one framework of channels.runs; queueing one is channels.dispatch's."""

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from sellercloud.models import User

from . import runs
from .download.engine import download_execute
from .download.run import run_create
from .models import CdiscountAccount, SyncProblem, SyncRun

logger = logging.getLogger(__name__)


# Download ------------------------------------------------------------------------------------


def _redo_download(run: SyncRun) -> dict[str, Any]:
    """A download done again asks for the same thing: its backfill window, or its one order."""
    return {
        "window_from": run.window_from if run.is_backfill else None,
        "window_to": run.window_to if run.is_backfill else None,
        "channel_order_id": run.channel_order_id,
    }


DOWNLOAD = runs.RunKind(
    kind=SyncRun.Kind.DOWNLOAD,
    noun="download",
    lock_ttl_setting="DOWNLOAD_LOCK_TTL_SECONDS",
    create=run_create,
    execute=download_execute,
    redo=_redo_download,
)


def download_claim_due_accounts(*, now: datetime | None = None) -> list[runs.Claim]:
    """Claim the accounts whose download is due (see runs.accounts_claim_due)."""
    return runs.accounts_claim_due(kind=SyncRun.Kind.DOWNLOAD, now=now)


def download_active_run(*, account: CdiscountAccount) -> SyncRun | None:
    """The download going on for this account, if any."""
    return runs.active_run(DOWNLOAD, account=account)


def download_run_now(
    *,
    account: CdiscountAccount,
    trigger: str,
    run: SyncRun | None = None,
    user: User | None = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    channel_order_id: str = "",
) -> SyncRun | None:
    """Run one download in this process. Returns None, creating no run, when another download
    of the account holds the lock (a scheduled run then simply exits)."""
    return runs.run_now(
        DOWNLOAD,
        account=account,
        trigger=trigger,
        run=run,
        user=user,
        window_from=date_from,
        window_to=date_to,
        channel_order_id=channel_order_id,
    )


def download_run_queued(*, account_id: int, run_id: int | None) -> SyncRun | None:
    """What the download task does (see runs.run_queued)."""
    return runs.run_queued(DOWNLOAD, account_id=account_id, run_id=run_id)


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
