"""The invoice upload's entry points: its kind of run (channels.runs), and what users ask for:
Retry invoice upload (Order Details), the Failed Uploads list and its bulk retry, and what Order
Details shows of each invoice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from invoices.models import Invoice
from orders.channel_registry import DocumentUpload
from orders.choices import EventKind
from orders.models import Order
from orders.rules import OrderRuleError
from sellercloud.models import User

from .. import runs
from ..accounts import AccountLock
from ..cdiscount.client import CdiscountClient
from ..events import invoice_upload_event
from ..models import CdiscountAccount, InvoiceUpload, SyncRun
from .attempt import credit_note_words
from .engine import invoice_upload_execute

Status = InvoiceUpload.Status


def _run_create(*, account: CdiscountAccount, trigger: str, user: User | None) -> SyncRun:
    return SyncRun.objects.create(
        account=account,
        kind=SyncRun.Kind.INVOICE_UPLOAD,
        trigger=trigger,
        user=user if user is not None and getattr(user, "is_authenticated", False) else None,
    )


def _execute(*, run: SyncRun, lock: AccountLock, **options: Any) -> SyncRun:
    return invoice_upload_execute(run=run, lock=lock, **options)


INVOICE_UPLOAD = runs.RunKind(
    kind=SyncRun.Kind.INVOICE_UPLOAD,
    noun="invoice upload",
    lock_ttl_setting="UPLOAD_LOCK_TTL_SECONDS",
    create=_run_create,
    execute=_execute,
)


def invoice_upload_claim_due_accounts(*, now: datetime | None = None) -> list[runs.Claim]:
    """Claim the accounts whose invoice upload is due (see runs.accounts_claim_due)."""
    return runs.accounts_claim_due(kind=SyncRun.Kind.INVOICE_UPLOAD, now=now)


def invoice_upload_run_now(
    *, account: CdiscountAccount, trigger: str, user: User | None = None, client: CdiscountClient | None = None
) -> SyncRun | None:
    """Run one invoice upload of the account in this process. Returns None, creating no run,
    when another invoice upload of the account holds the lock."""
    options = {"client": client} if client is not None else {}
    return runs.run_now(INVOICE_UPLOAD, account=account, trigger=trigger, user=user, options=options)


def invoice_upload_run_queued(*, account_id: int, run_id: int | None) -> SyncRun | None:
    """What the invoice upload task does (see runs.run_queued); the claims make a second delivery safe."""
    return runs.run_queued(INVOICE_UPLOAD, account_id=account_id, run_id=run_id)


# What users ask for --------------------------------------------------------------------------


def failed_invoice_uploads(*, account: CdiscountAccount) -> QuerySet[InvoiceUpload]:
    """The account's Failed invoice uploads, newest first (Failed Uploads, the health card)."""
    return (
        InvoiceUpload.objects.filter(account=account, status=Status.FAILED)
        .select_related("order", "invoice")
        .order_by("-updated_at", "-pk")
    )


def invoice_upload_retry(*, order: Order, by: User | None, client: CdiscountClient | None = None) -> InvoiceUpload:
    """Retry invoice upload (Order Details): the order's Failed invoice upload goes now, in the
    caller's thread, reading Cdiscount's documents first (one already there counts as uploaded).

    Returns it as it ends: Uploaded, Importing (Cdiscount still imports it), Failed again with
    Cdiscount's words, or Pending after a temporary fault (a later run takes it). Raises
    OrderRuleError when there is nothing to retry.
    """
    upload = InvoiceUpload.objects.select_related("invoice", "account").filter(order=order).first()
    if upload is None or upload.status != Status.FAILED:
        state = upload.get_status_display() if upload else "not uploaded"
        raise OrderRuleError(f"The invoice upload is {state}: only a Failed one is retried.")
    now = timezone.now()
    with transaction.atomic():
        if not InvoiceUpload.objects.filter(pk=upload.pk, status=Status.FAILED).update(
            # Counted, as the tracking upload's retry counts it: this post is one more attempt.
            status=Status.PENDING,
            claimed_at=now,
            next_attempt_at=now,
            attempts=F("attempts") + 1,
            error="",
        ):
            raise OrderRuleError("This invoice upload changed meanwhile: refresh the page.")
        number = upload.invoice.number if upload.invoice else "(not issued)"
        invoice_upload_event(order=order, by=by, upload_id=upload.pk, number=number, step="retry")
    run = _run_create(account=upload.account, trigger=SyncRun.Trigger.RETRY, user=by)
    invoice_upload_execute(run=run, client=client, upload_ids=[upload.pk], claimed=True, force_read=True)
    upload.refresh_from_db()
    return upload


def invoice_uploads_set_pending(*, account: CdiscountAccount, by: User | None, upload_ids: list[int] | None) -> int:
    """Failed Uploads > Retry: the account's Failed invoice uploads (all, or these) become
    Pending, due now, with one attempt counted so Cdiscount is read before any post. The caller
    queues a run (channels.dispatch). Returns how many."""
    failed = InvoiceUpload.objects.filter(account=account, status=Status.FAILED)
    if upload_ids is not None:
        failed = failed.filter(pk__in=upload_ids)
    now = timezone.now()
    with transaction.atomic():
        rows = list(failed.select_for_update(of=("self",)).select_related("order", "invoice"))
        count = InvoiceUpload.objects.filter(pk__in=[r.pk for r in rows], status=Status.FAILED).update(
            status=Status.PENDING, next_attempt_at=now, claimed_at=None, attempts=1
        )
        for row in rows:
            number = row.invoice.number if row.invoice else "(not issued)"
            invoice_upload_event(order=row.order, by=by, upload_id=row.pk, number=number, step="retry")
    return count


def invoice_upload_of(order: Order) -> InvoiceUpload | None:
    """The order's invoice upload, read once per order object (the Actions menu and the panel
    both ask). No query when the account does not upload invoices and the order's history, as
    Order Details prefetched it, shows none ever."""
    cached: InvoiceUpload | None | bool = getattr(order, "_invoice_upload", False)
    if cached is not False:
        return cached if isinstance(cached, InvoiceUpload) else None
    account = order.channel_account
    seen = (account is not None and account.invoice_upload_enabled) or any(
        e.kind == EventKind.INVOICE and "invoice_upload_id" in (e.data or {}) for e in order.events.all()
    )
    upload = InvoiceUpload.objects.select_related("invoice").filter(order=order).first() if seen else None
    order._invoice_upload = upload  # type: ignore[attr-defined]
    return upload


def invoice_upload_why_not_retry(order: Order) -> str | None:
    """Why Retry invoice upload is not offered now (None when it is)."""
    upload = invoice_upload_of(order)
    if upload is None or upload.status != Status.FAILED:
        return "Only a Failed invoice upload is retried."
    return None


def order_invoice_uploads(order: Order) -> list[DocumentUpload]:
    """What Order Details shows of the order's invoices on Cdiscount: the invoice's upload status
    and history, and each credit note staying local. Empty when the account does not upload
    invoices and never did for this order. Reads the order's events from its prefetch."""
    account = order.channel_account
    upload = invoice_upload_of(order)
    if upload is None and (account is None or not account.invoice_upload_enabled):
        return []
    rows: list[DocumentUpload] = []
    if upload is not None:
        history = [
            (e.created_at, e.message)
            for e in order.events.all()
            if e.kind == EventKind.INVOICE and (e.data or {}).get("invoice_upload_id") == upload.pk
        ]
        rows.append(
            DocumentUpload(
                document=f"Invoice {upload.invoice.number}" if upload.invoice else "Invoice (issued at upload)",
                status=upload.status,
                status_label=upload.get_status_display(),
                at=upload.uploaded_at or upload.posted_at,
                attempts=upload.attempts,
                error=upload.error,
                history=sorted(history),
                retry=upload.status == Status.FAILED,
            )
        )
    else:
        rows.append(_not_enrolled(order, account))
    for credit_note in Invoice.objects.filter(order=order, kind=Invoice.Kind.CREDIT_NOTE).order_by("issued_at", "pk"):
        rows.append(
            DocumentUpload(
                document=f"Credit note {credit_note.number}",
                status="local",
                status_label="Stays local",
                note=credit_note_words(credit_note),
            )
        )
    return rows


def _not_enrolled(order: Order, account: CdiscountAccount | None) -> DocumentUpload:
    """The invoice of an order no run took yet: why, or when it will go."""
    since = account.invoice_upload_since if account is not None else None
    if order.ship_confirmed_at is None:
        note, status, label = "Uploaded once the order is Ship Confirmed.", "not_required", "Not uploaded yet"
    elif since is None or order.ship_confirmed_at < since:
        note = "Ship Confirmed before Upload invoices to Cdiscount was turned on: not uploaded."
        status, label = "not_required", "Not uploaded"
    else:
        note, status, label = "Goes with the next invoice upload run.", "pending", "Pending"
    return DocumentUpload(document="Invoice", status=status, status_label=label, note=note)
