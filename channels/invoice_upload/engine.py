"""An invoice upload run carried out: new Ship Confirmed orders enrolled, the due invoices, its end."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from orders.choices import Channel
from orders.models import Order

from ..accounts import AccountLock, client_for
from ..cdiscount.client import CdiscountClient
from ..errors import unexpected_error
from ..models import CdiscountAccount, InvoiceUpload, SyncRun
from ..upload.common import RunContext, UploadOutcome
from ..upload.engine import run_each, run_to_its_end
from .attempt import upload_invoice

logger = logging.getLogger(__name__)
CRASHED = unexpected_error(
    what="The invoice upload stopped",
    event="invoice_upload_crashed",
    then="Invoices still waiting go with the next run; if it stops the same way, tell your administrator.",
)
INVOICE_CRASHED = unexpected_error(
    what="Not sent", event="invoice_upload_one_crashed", then="The invoice is tried again by a later run."
)


def invoice_uploads_enroll(*, account: CdiscountAccount) -> int:
    """One InvoiceUpload (Pending) for each order of the account Ship Confirmed since Upload
    invoices to Cdiscount was turned on, that has none yet. The rule lives here and only here:
    whoever set Ship Confirmed (our tracking upload, a download seeing it Shipped) does not matter.
    Safe to run twice at once: an order has at most one row (its uniqueness)."""
    since = account.invoice_upload_since
    if not account.invoice_upload_enabled or since is None:
        return 0
    new = (
        Order.objects.filter(channel_account=account, channel=Channel.CDISCOUNT, ship_confirmed_at__gte=since)
        .filter(~Exists(InvoiceUpload.objects.filter(order=OuterRef("pk"))))
        .order_by("ship_confirmed_at", "pk")
        .values_list("pk", flat=True)[: settings.INVOICE_UPLOAD_MAX_PER_RUN]
    )
    rows = [InvoiceUpload(account=account, order_id=order_id) for order_id in new]
    InvoiceUpload.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _due_ids(*, account: CdiscountAccount, now: datetime) -> list[int]:
    stale = now - timedelta(seconds=settings.UPLOAD_CLAIM_STALE_SECONDS)
    due = (
        InvoiceUpload.objects.filter(account=account, status__in=InvoiceUpload.WAITING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
        .order_by("next_attempt_at", "pk")
    )
    return list(due.values_list("pk", flat=True)[: settings.INVOICE_UPLOAD_MAX_PER_RUN])


def invoice_upload_execute(
    *,
    run: SyncRun,
    lock: AccountLock | None = None,
    client: CdiscountClient | None = None,
    upload_ids: list[int] | None = None,
    claimed: bool = False,
    force_read: bool = False,
) -> SyncRun:
    """Carry out a Queued invoice upload run to its end (Completed, Partial Success or Failed).

    Without `upload_ids` it enrolls the orders newly Ship Confirmed and takes the due invoices;
    with them (a user's retry) only those, claimed by the caller when `claimed`. One at a time:
    each renders a PDF (CPU, not the network), and the posts are few, one per shipped order.
    Never raises for a marketplace fault: the rows and the run record it.
    """
    account = CdiscountAccount.objects.get(pk=run.account_id)
    now = timezone.now()
    run.status = SyncRun.Status.PROCESSING
    run.started_at = run.heartbeat_at = now
    run.save(update_fields=["status", "started_at", "heartbeat_at"])
    ctx = RunContext(
        run=run, account=account, client=client or client_for(account), lock=lock, user=run.user, noun="invoices"
    )
    with run_to_its_end(ctx, event="invoice_upload", crashed=CRASHED, own_client=client is None):
        if upload_ids is None:
            if enrolled := invoice_uploads_enroll(account=account):
                ctx.note(f"{enrolled} order(s) newly Ship Confirmed: their invoices join the upload.")
            upload_ids = _due_ids(account=account, now=now)
        ctx.total = len(upload_ids)
        run_each(ctx, upload_ids, threads=1, one=lambda i: _one_safely(ctx, i, claimed=claimed, force_read=force_read))
    return run


def _one_safely(ctx: RunContext, upload_id: int, *, claimed: bool, force_read: bool) -> None:
    """One invoice; a bug here is logged and the invoice put off, the run goes on."""
    try:
        outcome = upload_invoice(ctx, upload_id, claimed=claimed, force_read=force_read)
    except Exception:
        logger.exception("event=invoice_upload_one_crashed run=%s upload=%s", ctx.run.pk, upload_id)
        InvoiceUpload.objects.filter(pk=upload_id, status__in=InvoiceUpload.WAITING).update(
            claimed_at=None,
            next_attempt_at=timezone.now() + timedelta(seconds=settings.UPLOAD_BACKOFF_BASE_SECONDS),
            error=INVOICE_CRASHED,
        )
        ctx.record(UploadOutcome.DEFERRED, f"Invoice upload {upload_id}: {INVOICE_CRASHED}")
        return
    ctx.record(outcome)
