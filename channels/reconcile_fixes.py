"""The fix of each kind of reconciliation row (issue 23): Set Cancelled Internally, Download this
order, Retry upload, or the refund's Reference Number (and always: open the order). A row then
disappears, because our records agree (channels.reconcile.compare.still_open) or its fix ran.

Apart from channels.reconcile because Download this order queues a run (channels.dispatch), and
the reconciliation's own tasks import channels.reconcile."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from orders.channel_registry import ActionResult
from orders.choices import EventKind, UploadStatus
from orders.events import order_event
from orders.models import Package
from orders.rules import OrderRuleError
from orders.services import order_cancel_internally, refund_set_reference
from sellercloud.models import User
from sellercloud.permissions import Permission

from . import dispatch, upload
from .models import Drift

Kind = Drift.Kind


@dataclass(frozen=True)
class Fix:
    key: str
    label: str
    permission: Permission


CANCEL = Fix("cancel", "Set Cancelled Internally", Permission.CANCEL_ORDERS)
DOWNLOAD = Fix("download", "Download this order", Permission.MANAGE_CHANNEL)
RETRY_UPLOAD = Fix("retry-upload", "Retry upload", Permission.MANAGE_CHANNEL)
REFERENCE = Fix("reference", "Save Reference Number", Permission.ISSUE_REFUNDS)
FIX_OF = {
    Kind.CANCELLED_THERE: CANCEL,
    Kind.SHIPPED_THERE: DOWNLOAD,
    Kind.MISSING_HERE: DOWNLOAD,
    Kind.TOTALS_DIFFER: DOWNLOAD,
    Kind.NOT_SHIPPED_THERE: RETRY_UPLOAD,
    Kind.REFUND_NO_REFERENCE: REFERENCE,
}


def drift_fix(*, drift: Drift, by: User, data: dict[str, Any]) -> ActionResult:
    """Run the row's fix. Raises OrderRuleError with a sentence when it cannot be done (the order
    changed, the refund has a reference already...): nothing is changed then."""
    fix = FIX_OF[Drift.Kind(drift.kind)]
    if fix is CANCEL:
        if drift.order is None:
            raise OrderRuleError("The order is gone: nothing to cancel.")
        reason = f"Cancelled on Cdiscount (found by reconciliation run {drift.run_id})."
        order_cancel_internally(order=drift.order, by=by, reason=reason)
        return ActionResult(f"Order {drift.channel_order_id} set Cancelled Internally.")
    if fix is DOWNLOAD:
        return _download(drift, by)
    if fix is RETRY_UPLOAD:
        return _retry_upload(drift, by)
    if drift.refund is None:
        raise OrderRuleError("The refund is gone.")
    refund_set_reference(refund=drift.refund, by=by, reference_number=str(data.get("reference_number", "")))
    return ActionResult(f"Reference Number saved on the refund of order {drift.channel_order_id}.")


def _download(drift: Drift, by: User) -> ActionResult:
    outcome = dispatch.download_request(account=drift.run.account, user=by, channel_order_id=drift.channel_order_id)
    if outcome.running is not None:
        message = f"A download of this account is running (run {outcome.running.pk}): try again when it ends."
        return ActionResult(message, "warning")
    assert outcome.run is not None
    return ActionResult(f"Download of order {drift.channel_order_id} started (run {outcome.run.pk}).")


def _retry_upload(drift: Drift, by: User) -> ActionResult:
    """Send the tracking again: the package Cdiscount never took goes back to Pending and is
    uploaded now, reading the order first (a parcel already there is not posted twice)."""
    if drift.package is None:
        raise OrderRuleError("The package is gone: open the order.")
    now = timezone.now()
    with transaction.atomic():
        moved = Package.objects.filter(pk=drift.package.pk, upload_status=UploadStatus.UPLOADED).update(
            upload_status=UploadStatus.PENDING,
            upload_attempts=Greatest(F("upload_attempts"), 1),  # tried before: read the order first
            next_upload_at=now,
            upload_claimed_at=None,
        )
        if moved:
            order_event(order=drift.package.order, kind=EventKind.UPLOAD, user=by,
                        message=f"Tracking {drift.package.tracking_number} was recorded as uploaded, but Cdiscount "
                        f"does not have it (reconciliation run {drift.run_id}): set back to Pending to send it again.",
                        data={"package_id": drift.package.pk, "run_id": drift.run_id})  # fmt: skip
    package = upload.package_retry_upload(package=drift.package, by=by)
    number = package.tracking_number
    if package.upload_status == UploadStatus.UPLOADED:
        Drift.objects.filter(pk=drift.pk).update(resolved_at=timezone.now())
        return ActionResult(f"Tracking {number} uploaded to Cdiscount.")
    if package.upload_status == UploadStatus.FAILED:
        return ActionResult(f"Upload of tracking {number} failed: {package.upload_error}", "error")
    return ActionResult(f"Cdiscount could not be reached: tracking {number} will be retried.", "warning")
