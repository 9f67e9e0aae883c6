"""The reconciliation as a kind of run (channels.runs), and what its pages read: a run's rows
still open, the counts per kind, the nightly choice of accounts."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from sellercloud.models import User

from .. import runs
from ..accounts import AccountLock
from ..models import CdiscountAccount, Drift, SyncRun
from .compare import still_open
from .engine import reconcile_execute


def _run_create(
    *,
    account: CdiscountAccount,
    trigger: str,
    user: User | None,
    window_from: datetime | None = None,
    window_to: datetime | None = None,
) -> SyncRun:
    """A Queued reconciliation of [from, to) of `updatedAt`; by default the last RECONCILE_DAYS."""
    now = timezone.now()
    return SyncRun.objects.create(
        account=account,
        kind=SyncRun.Kind.RECONCILE,
        trigger=trigger,
        user=user if user is not None and getattr(user, "is_authenticated", False) else None,
        window_from=window_from or now - timedelta(days=settings.RECONCILE_DAYS),
        window_to=window_to or now,
    )


def _execute(*, run: SyncRun, lock: AccountLock, **options: Any) -> SyncRun:
    return reconcile_execute(run=run, lock=lock, **options)


RECONCILE = runs.RunKind(
    kind=SyncRun.Kind.RECONCILE,
    noun="reconciliation",
    lock_ttl_setting="DOWNLOAD_LOCK_TTL_SECONDS",
    create=_run_create,
    execute=_execute,
    redo=lambda run: {"window_from": run.window_from, "window_to": run.window_to},
)


def reconcile_run_now(
    *,
    account: CdiscountAccount,
    trigger: str,
    user: User | None = None,
    window_from: datetime | None = None,
    window_to: datetime | None = None,
    **options: Any,
) -> SyncRun | None:
    """One reconciliation in this process (None when one of this account is running); `options`
    go to the engine (a client)."""
    return runs.run_now(RECONCILE, account=account, trigger=trigger, user=user, options=options,
                        window_from=window_from, window_to=window_to)  # fmt: skip


def reconcile_run_queued(*, account_id: int, run_id: int | None) -> SyncRun | None:
    """What the reconciliation task does (see runs.run_queued)."""
    return runs.run_queued(RECONCILE, account_id=account_id, run_id=run_id)


def reconcile_nightly_accounts() -> list[int]:
    """The accounts the nightly reconciliation reads: enabled, downloading, with credentials."""
    accounts = CdiscountAccount.objects.filter(enabled=True, download_enabled=True).exclude(client_id="")
    return list(accounts.values_list("pk", flat=True))


def open_drifts(run: SyncRun) -> list[Drift]:
    """The run's rows our records still show: fixed ones are gone."""
    return still_open(list(run.drifts.select_related("run", "order", "package", "refund")))


def drift_counts(run: SyncRun) -> dict[str, int]:
    """Open rows per kind (label -> count), in the kinds' order."""
    counts = Counter(d.kind for d in open_drifts(run))
    return {str(label): counts[value] for value, label in Drift.Kind.choices if counts[value]}


def latest_reconciliation(account: CdiscountAccount) -> SyncRun | None:
    """The account's last finished reconciliation, whose open rows are the drift count."""
    return (
        account.sync_runs.filter(kind=SyncRun.Kind.RECONCILE, status=SyncRun.Status.COMPLETED)
        .order_by("-finished_at")
        .first()
    )
