"""The upload's entry points: its kind of run (channels.runs), and what users ask for: Retry upload,
Upload to Cdiscount by hand, the Failed Uploads list and its bulk retry."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from orders.choices import OrderStatus, UploadStatus
from orders.models import Order, Package
from orders.rules import OrderRuleError
from sellercloud.models import User

from .. import runs
from ..accounts import AccountLock
from ..cdiscount.client import CdiscountClient
from ..events import upload_by_hand_requested_event, upload_retry_requested_event
from ..models import CdiscountAccount, SyncRun
from .engine import upload_execute

logger = logging.getLogger(__name__)


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


def upload_claim_due_accounts(*, now: datetime | None = None) -> list[runs.Claim]:
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
        upload_retry_requested_event(
            order=package.order,
            by=by,
            package_id=package.pk,
            tracking_number=package.tracking_number,
            previous_status=package.upload_status,
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
        upload_by_hand_requested_event(
            order=order, by=by, package_id=package.pk, tracking_number=package.tracking_number
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
            upload_retry_requested_event(
                order=Order(pk=order_id),
                by=by,
                package_id=package_id,
                tracking_number=number,
                previous_status=UploadStatus.FAILED,
            )
    return count
