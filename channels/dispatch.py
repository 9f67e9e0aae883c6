"""Where channels sends work to the workers: the only module, besides the tick tasks, that
imports channels.tasks. Views and services that queue a run call these; tasks import services,
never this module, so no import runs in a circle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sellercloud.models import User

from . import invoice_upload, ledger, reconcile, runs, upload
from .models import CdiscountAccount, SyncRun
from .services import DOWNLOAD
from .tasks import download_account_task, invoice_upload_account_task, reconcile_account_task, upload_account_task

RunRequest = runs.RunRequest


def download_request(
    *,
    account: CdiscountAccount,
    user: User | None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    channel_order_id: str = "",
    trigger: str = SyncRun.Trigger.MANUAL,
) -> RunRequest:
    """Manual Download Orders / Download Order by ID: queue a run in the background, unless a
    download of this account is already going (then say so, with that run)."""
    if date_from and date_to and date_from > date_to:
        raise ValueError("From must be before To.")
    return runs.run_request(
        DOWNLOAD,
        account=account,
        user=user,
        trigger=trigger,
        enqueue=lambda run: download_account_task.delay(account.pk, run.pk),
        window_from=date_from,
        window_to=date_to,
        channel_order_id=channel_order_id.strip(),
    )


def gap_backfill_request(*, account: CdiscountAccount, span: ledger.Span, user: User | None) -> RunRequest:
    """Backfill this gap: a download of exactly the span the timeline showed. Raises ValueError,
    queueing nothing, when no gap holds the span any more (closed meanwhile)."""
    if ledger.gap_containing(account=account, span=span) is None:
        raise ValueError("This span is not a gap any more (a download covered it meanwhile): nothing was started.")
    return download_request(account=account, user=user, date_from=span.start, date_to=span.end)


def upload_request(*, account: CdiscountAccount, user: User | None) -> RunRequest:
    """Upload Fulfillment Now: queue an upload run in the background, unless one of this account
    is already going (then say so, with that run)."""
    return runs.run_request(
        upload.UPLOAD, account=account, user=user, enqueue=lambda run: upload_account_task.delay(account.pk, run.pk)
    )


def reconcile_request(*, account: CdiscountAccount, user: User | None) -> RunRequest:
    """Actions > Reconcile: queue a reconciliation of the last RECONCILE_DAYS, unless one of this
    account is already going (then say so, with that run)."""
    return runs.run_request(
        reconcile.RECONCILE,
        account=account,
        user=user,
        enqueue=lambda run: reconcile_account_task.delay(account.pk, run.pk),
    )


@dataclass(frozen=True)
class PackageRetryRequest:
    """What a bulk retry of Failed uploads did."""

    count: int  # packages set back to Pending
    run: SyncRun | None  # the upload run queued for them
    running: SyncRun | None  # the run already going (they go with the next run)


def packages_retry_failed(
    *, account: CdiscountAccount, by: User | None, package_ids: list[int] | None = None
) -> PackageRetryRequest:
    """Retry the account's Failed uploads (all, or the given ones): each becomes Pending, due now,
    then one upload run is queued for them (see upload.packages_set_pending)."""
    count = upload.packages_set_pending(account=account, by=by, package_ids=package_ids)
    if not count:
        return PackageRetryRequest(count=0, run=None, running=None)
    request = upload_request(account=account, user=by)
    return PackageRetryRequest(count=count, run=request.run, running=request.running)


def invoice_upload_request(*, account: CdiscountAccount, user: User | None) -> RunRequest:
    """Queue an invoice upload run in the background, unless one of this account is already
    going (then say so, with that run)."""
    return runs.run_request(
        invoice_upload.INVOICE_UPLOAD,
        account=account,
        user=user,
        enqueue=lambda run: invoice_upload_account_task.delay(account.pk, run.pk),
    )


def invoice_uploads_retry_failed(
    *, account: CdiscountAccount, by: User | None, upload_ids: list[int] | None = None
) -> PackageRetryRequest:
    """Failed Uploads > Retry for invoices: each becomes Pending (read from Cdiscount before any
    post), then one invoice upload run is queued for them."""
    count = invoice_upload.invoice_uploads_set_pending(account=account, by=by, upload_ids=upload_ids)
    if not count:
        return PackageRetryRequest(count=0, run=None, running=None)
    request = invoice_upload_request(account=account, user=by)
    return PackageRetryRequest(count=count, run=request.run, running=request.running)
