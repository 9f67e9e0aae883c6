"""One invoice's turn in a run: claim it, issue it if needed, read Cdiscount's documents when an
earlier post may have arrived, post the PDF once, follow the import, record the outcome."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from invoices.models import Invoice
from invoices.services import InvoiceRefused, InvoiceRenderFailed, document_pdf, invoice_issue

from ..cdiscount.exceptions import ChannelAPIError, ChannelAuthError, PermanentChannelError, TransientChannelError
from ..cdiscount.invoice_documents import ImportStatus, InvoiceImport
from ..events import invoice_upload_event
from ..models import InvoiceUpload
from ..upload.common import RunContext, RunStopped, UploadOutcome, backoff_seconds, post_once, refused_words

logger = logging.getLogger(__name__)
Status = InvoiceUpload.Status


def claim(upload_id: int, status: str, now: datetime) -> bool:
    """The conditional UPDATE that makes this run the only one working on the invoice (SPEC S6).
    A claim to post counts the attempt, so a later attempt knows to read Cdiscount first."""
    stale = now - timedelta(seconds=settings.UPLOAD_CLAIM_STALE_SECONDS)
    changes: dict[str, Any] = {"claimed_at": now}
    if status == Status.PENDING:
        changes["attempts"] = F("attempts") + 1
    return bool(
        InvoiceUpload.objects.filter(pk=upload_id, status=status)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(**changes)
    )


@dataclass
class _Attempt:
    """One claimed invoice upload, as it stood when claimed."""

    ctx: RunContext
    upload: InvoiceUpload
    status: str  # at the claim: Pending (to post) or Importing (to follow)

    @property
    def number(self) -> str:
        return self.upload.invoice.number if self.upload.invoice else "(not issued)"

    def mine(self) -> QuerySet[InvoiceUpload]:
        # Only while our claim stands: a claim gone stale and taken by another run is theirs now.
        u = self.upload
        return InvoiceUpload.objects.filter(pk=u.pk, status=self.status, claimed_at=u.claimed_at)

    def event(self, step: str, **data: Any) -> None:
        invoice_upload_event(
            order=self.upload.order,
            by=self.ctx.user,
            upload_id=self.upload.pk,
            number=self.number,
            step=step,
            data=data,
        )


def upload_invoice(ctx: RunContext, upload_id: int, *, claimed: bool, force_read: bool) -> UploadOutcome:
    """Carry one invoice upload as far as it goes now. `claimed`: the caller claimed it (a user's
    retry); `force_read`: read Cdiscount's documents before posting, whatever the attempts."""
    now = timezone.now()
    if not claimed:
        status = InvoiceUpload.objects.filter(pk=upload_id).values_list("status", flat=True).first()
        if status not in InvoiceUpload.WAITING or not claim(upload_id, status, now):
            return UploadOutcome.SKIPPED
    upload = InvoiceUpload.objects.select_related("order__company", "invoice").get(pk=upload_id)
    a = _Attempt(ctx=ctx, upload=upload, status=upload.status)
    try:
        if upload.status == Status.IMPORTING:
            return _follow(a)
        # attempts counts this one: more than one means an earlier post may have reached Cdiscount.
        return _post(a, read_first=force_read or upload.attempts > 1)
    except RunStopped:
        a.mine().update(claimed_at=None)  # back as it was, for the next run
        return UploadOutcome.DEFERRED


def _post(a: _Attempt, *, read_first: bool) -> UploadOutcome:
    upload, ctx = a.upload, a.ctx
    order = upload.order
    if order.channel_account_id != ctx.account.pk:
        return _fail(a, "The order is not a Cdiscount order of this account.")
    if upload.invoice is None:
        try:
            upload.invoice = invoice_issue(order=order, by=None)
        except InvoiceRefused as exc:
            return _fail(a, f"No invoice could be issued: {exc}")
        InvoiceUpload.objects.filter(pk=upload.pk).update(invoice=upload.invoice)
    invoice = upload.invoice
    if read_first:
        # Never post twice: an earlier post may have arrived unanswered, and a second replaces it.
        try:
            there = [
                d for d in ctx.client.list_invoice_documents(order_id=order.channel_order_id) if d.counts_as_uploaded
            ]
        except ChannelAPIError as exc:
            return _api_fault(a, exc, "reading the order's invoice documents before posting again")
        if there:
            document = there[-1]
            if document.status == ImportStatus.RUNNING and document.import_id:
                _record_post(a, document.import_id, step="following")
                return _follow(a)
            return _mark_uploaded(a, import_id=document.import_id or "", already_there=True)
    try:
        pdf = document_pdf(invoice)
    except InvoiceRenderFailed as exc:
        return _defer(a, str(exc), retry_after=None)
    try:
        posted = post_once(
            ctx,
            lambda: ctx.client.upload_invoice(
                order_id=order.channel_order_id, pdf=pdf, file_name=f"{invoice.number}.pdf"
            ),
        )
    except ChannelAPIError as exc:
        return _api_fault(a, exc, "posting the invoice")
    assert isinstance(posted, InvoiceImport)
    _record_post(a, posted.import_id, step="posted")
    return _ended(a, posted) if posted.finished else _follow(a)


def _record_post(a: _Attempt, import_id: str, *, step: str) -> None:
    """The post is on Cdiscount: from here on the import is followed, never posted again."""
    now = timezone.now()
    with transaction.atomic():
        a.mine().update(status=Status.IMPORTING, import_id=import_id[:100], posted_at=now, error="")
        a.event(step, import_id=import_id)
    a.upload.status, a.upload.import_id, a.upload.posted_at = Status.IMPORTING, import_id, now
    a.status = Status.IMPORTING


def _follow(a: _Attempt) -> UploadOutcome:
    """Read the import once: Success or Failure ends it; Running is read again by a later run."""
    upload, ctx = a.upload, a.ctx
    try:
        answer = ctx.client.get_invoice_import(import_id=upload.import_id)
    except ChannelAuthError as exc:
        ctx.stop_with(f"Cdiscount refused the credentials while reading an invoice import: {exc}")
        raise RunStopped() from exc
    except TransientChannelError as exc:
        return _read_later(a, f"Cdiscount could not be asked how import {upload.import_id} went: {exc}")
    except PermanentChannelError as exc:
        return _fail(a, refused_words(exc, f"to say how import {upload.import_id} went"), exc)
    if answer.finished:
        return _ended(a, answer)
    give_up = (upload.posted_at or timezone.now()) + timedelta(hours=settings.INVOICE_IMPORT_GIVE_UP_HOURS)
    if timezone.now() > give_up:
        return _fail(
            a,
            f"Cdiscount's import {upload.import_id} was still Running after "
            f"{settings.INVOICE_IMPORT_GIVE_UP_HOURS} hours: check the order on the Cdiscount portal.",
        )
    return _read_later(a, "")


def _ended(a: _Attempt, answer: InvoiceImport) -> UploadOutcome:
    if answer.succeeded:
        return _mark_uploaded(a, import_id=answer.import_id, already_there=False)
    return _fail(a, answer.words)


# Recording outcomes --------------------------------------------------------------------------


def _mark_uploaded(a: _Attempt, *, import_id: str, already_there: bool) -> UploadOutcome:
    now = timezone.now()
    with transaction.atomic():
        # By primary key, whatever the claim now: the invoice is on Cdiscount, that is the truth.
        InvoiceUpload.objects.filter(pk=a.upload.pk).update(
            status=Status.UPLOADED,
            uploaded_at=now,
            error="",
            claimed_at=None,
            next_attempt_at=None,
            import_id=import_id[:100] or F("import_id"),
        )
        a.event("already_there" if already_there else "uploaded", import_id=import_id)
    return UploadOutcome.UPLOADED


def _fail(a: _Attempt, message: str, exc: ChannelAPIError | None = None) -> UploadOutcome:
    """A refusal: Failed with Cdiscount's words, shown on the order; only a user retries it."""
    with transaction.atomic():
        if not a.mine().update(status=Status.FAILED, error=message[:2000], claimed_at=None, next_attempt_at=None):
            return UploadOutcome.SKIPPED  # the claim went stale and another run has it now
        data: dict[str, Any] = {"attempts": a.upload.attempts, "run_id": a.ctx.run.pk}
        if exc is not None:
            data.update(status=exc.status, title=exc.title, detail=exc.detail, errors=exc.errors)
        a.event(message, **data)
    a.ctx.note(f"Order {a.upload.order.channel_order_id} (invoice {a.number}): {message}")
    logger.warning(
        "event=invoice_upload_failed run=%s account=%s order=%s message=%s",
        a.ctx.run.pk,
        a.ctx.account.pk,
        a.upload.order.channel_order_id,
        message[:300],
    )
    return UploadOutcome.FAILED


def _defer(a: _Attempt, reason: str, *, retry_after: float | None) -> UploadOutcome:
    """A temporary fault before the post was known to arrive: Pending, due after a backoff; the
    next attempt reads Cdiscount's documents first (this post may have arrived)."""
    upload = a.upload
    if upload.attempts >= settings.UPLOAD_MAX_ATTEMPTS:
        return _fail(a, f"Gave up after {upload.attempts} attempts; the last error: {reason}")
    due = timezone.now() + timedelta(seconds=backoff_seconds(upload.attempts, retry_after))
    message = f"Temporary error on attempt {upload.attempts}, retried later: {reason}"
    if not a.mine().update(claimed_at=None, next_attempt_at=due, error=message[:2000]):
        return UploadOutcome.SKIPPED
    logger.info(
        "event=invoice_upload_deferred run=%s order=%s attempts=%d error=%s",
        a.ctx.run.pk,
        upload.order.channel_order_id,
        upload.attempts,
        reason[:200],
    )
    return UploadOutcome.DEFERRED


def _read_later(a: _Attempt, error: str) -> UploadOutcome:
    """The import still runs (or could not be read): Importing, read again after a while."""
    due = timezone.now() + timedelta(seconds=settings.INVOICE_IMPORT_POLL_SECONDS)
    a.mine().update(claimed_at=None, next_attempt_at=due, error=error[:2000])
    return UploadOutcome.WAITING


def _api_fault(a: _Attempt, exc: ChannelAPIError, doing: str) -> UploadOutcome:
    """Credentials stop the run, temporary faults defer, other refusals fail with Cdiscount's words."""
    if isinstance(exc, ChannelAuthError):
        a.ctx.stop_with(f"Cdiscount refused the credentials while {doing}: {exc}")
        raise RunStopped()
    if isinstance(exc, TransientChannelError):
        return _defer(a, str(exc), retry_after=exc.retry_after)
    return _fail(a, refused_words(exc, "the invoice"), exc)


def credit_note_words(credit_note: Invoice) -> str:
    """Why a credit note is not sent (Order Details says it)."""
    return (
        f"Credit note {credit_note.number} stays local: Cdiscount's API does not take credit notes, "
        "and a post would replace the order's invoice."
    )
