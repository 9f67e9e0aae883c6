"""Issuing and printing invoices (SPEC S9, issue 18).

Issuing takes the next number of the company's gap-free series for the year and stores the
snapshot, in one short transaction under row locks (the order, then the series). Rendering comes
after, outside any lock: a failed render leaves an issued invoice to print again, never a gap,
and prints of different invoices run in parallel. Later prints render the snapshot.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from orders.choices import EventKind, OrderStatus
from orders.events import order_event
from orders.models import Order
from sellercloud.db import commit_without_flush_wait
from sellercloud.models import Company, User

from .facturx import PDF_VARIANT, FacturXFailed, facturx_pdf
from .layouts import Layout, layout_for
from .legal import missing_legal_mentions
from .models import FacturX, Invoice, InvoiceSequence, InvoiceSettings, InvoiceType
from .renderers.base import PrintJob, RenderError
from .renderers.credit_note import CREDIT_NOTE_LAYOUT
from .renderers.registry import renderer_for
from .series import series_number, series_take_next, series_year
from .snapshot import build_snapshot

logger = logging.getLogger(__name__)

# The Invoice Types whose PDF can be a Factur-X file: our own HTML layouts (PDF/A-3 from WeasyPrint).
FACTUR_X_TYPES = (InvoiceType.STANDARD, InvoiceType.CHANNEL_SPECIFIC)


class InvoiceRefused(Exception):
    """The order cannot be invoiced now; the message says why. `missing` lists the company's
    missing legal details, when that is the reason."""

    def __init__(self, message: str, *, missing: list[str] | None = None) -> None:
        super().__init__(message)
        self.missing = missing or []


class InvoiceRenderFailed(Exception):
    """The invoice is issued (its number kept) but its PDF could not be made: print it again.
    `reason` is the renderer's own message when it has one (a RenderError)."""

    def __init__(self, invoice: Invoice, reason: str = "") -> None:
        what = f"{invoice.get_kind_display()} {invoice.number} is issued, but its PDF could not be made"
        super().__init__(f"{what}: {reason}" if reason else f"{what}: print it again.")
        self.invoice = invoice


@dataclass(frozen=True)
class PrintedDocument:
    """One print: the PDF, its file name, and the invoice (None for a packing slip)."""

    pdf: bytes
    filename: str
    invoice: Invoice | None


def invoice_number(year: int, sequence_number: int) -> str:
    """The printed number: F2026-000123."""
    return series_number(InvoiceSequence.Series.INVOICE, year, sequence_number)


def invoice_settings_for(company: Company) -> InvoiceSettings:
    """The company's Invoice Settings, or the defaults when it never saved them."""
    return InvoiceSettings.objects.filter(company=company).first() or InvoiceSettings(company=company)


def factur_x_for(company: Company, layout: Layout, *, is_business: bool) -> bool:
    """Whether an invoice issued now is a Factur-X file: the company turned Factur-X on, the
    Invoice Type is one of ours (Standard, Channel Specific), and the channel's preference takes
    this order (business orders by default, every order, or never)."""
    if layout.invoice_type not in FACTUR_X_TYPES or not invoice_settings_for(company).factur_x:
        return False
    return layout.factur_x == FacturX.ALL or (layout.factur_x == FacturX.BUSINESS and is_business)


def _legal_refusal(company: Company, missing: list[str]) -> InvoiceRefused:
    return InvoiceRefused(
        f"No invoice can be issued while legal details of {company.name} are missing: {', '.join(missing)}. "
        "Fill them in on Company Settings > Edit.",
        missing=missing,
    )


def refusal_for_new_invoice(order: Order) -> InvoiceRefused | None:
    """Why `order` may not get an invoice now (None when it may). Reads `order.payments.all()`,
    so a caller that prefetched them pays no query."""
    if not order.payments.all():
        return InvoiceRefused("No payment has been applied to this order: it is invoiced once paid.")
    if order.status == OrderStatus.CANCELED:
        return InvoiceRefused("The order was Canceled before it was invoiced: there is nothing to invoice.")
    missing = missing_legal_mentions(order.company)
    return _legal_refusal(order.company, missing) if missing else None


def has_invoice_annotation() -> dict[str, Exists]:
    """`has_invoice` on an order query: Order Details reads it without a query of its own."""
    invoices = Invoice.objects.filter(order=OuterRef("pk"), kind=Invoice.Kind.INVOICE)
    return {"has_invoice": Exists(invoices)}


def print_invoice_why_not(order: Order) -> str | None:
    """The Actions menu's reason to disable Print Invoice, or None. An invoiced order may always
    be printed again (its snapshot holds everything)."""
    refusal = refusal_for_new_invoice(order)
    if refusal is None:
        return None
    has_invoice = getattr(order, "has_invoice", None)
    if has_invoice is None:
        has_invoice = Invoice.objects.filter(order=order, kind=Invoice.Kind.INVOICE).exists()
    return None if has_invoice else str(refusal)


def order_invoices_why_not(order: Order) -> str | None:
    """The Actions menu's reason to disable the order's invoice list: no invoice issued yet."""
    has_invoice = getattr(order, "has_invoice", None)
    if has_invoice is None:
        has_invoice = Invoice.objects.filter(order=order, kind=Invoice.Kind.INVOICE).exists()
    return None if has_invoice else "No invoice has been issued for this order yet: Print Invoice issues it."


def invoice_issue(*, order: Order, by: User | None) -> Invoice:
    """The order's invoice: the one issued before, or a new one with the next number.

    Refused (InvoiceRefused, no number used, nothing written) for an order without a payment,
    cancelled before it was invoiced, or of a company whose legal details are incomplete.
    """
    # An invoice is never removed once issued: found without the order's lock, it is the answer
    # (a re-print, or a Bulk Print of invoiced orders, takes no lock and waits for no disk).
    existing = Invoice.objects.filter(order_id=order.pk, kind=Invoice.Kind.INVOICE).first()
    if existing is not None:
        return existing
    return _invoice_issue_locked(order=order, by=by)


@transaction.atomic
def _invoice_issue_locked(*, order: Order, by: User | None) -> Invoice:
    # The order's lock makes two prints of one order issue one invoice.
    locked = Order.objects.select_for_update(of=("self",)).select_related("company").get(pk=order.pk)
    existing = Invoice.objects.filter(order=locked, kind=Invoice.Kind.INVOICE).first()
    if existing is not None:
        return existing
    if refusal := refusal_for_new_invoice(locked):
        raise refusal
    company = locked.company
    issued_at = timezone.now()
    year = series_year(company, issued_at)
    layout = layout_for(company, locked.channel)
    # The series row is locked last and for the shortest time: from here to the commit.
    sequence_number = series_take_next(company=company, series=InvoiceSequence.Series.INVOICE, year=year)
    number = invoice_number(year, sequence_number)
    snapshot = build_snapshot(
        order=locked, company=company, issued_at=issued_at, number=number, invoice_type=layout.invoice_type
    )
    snapshot.update(layout.snapshot_fields())
    # Decided once, at issue: every print of a document of record is the same kind of file.
    snapshot["factur_x"] = factur_x_for(company, layout, is_business=snapshot["buyer"]["is_business"])
    invoice = Invoice.objects.create(
        company=company,
        order=locked,
        number=number,
        year=year,
        sequence_number=sequence_number,
        issued_at=issued_at,
        issued_by=by if by is not None and by.is_authenticated else None,
        invoice_type=layout.invoice_type,
        snapshot=snapshot,
    )
    order_event(
        order=locked,
        kind=EventKind.INVOICE,
        message=f"Invoice {number} issued ({invoice.get_invoice_type_display()}, total {snapshot['totals']['ttc']} "
        f"{snapshot['currency']}).",
        user=by,
        data={"invoice_id": invoice.pk, "number": number},
    )
    logger.info("event=invoice_issued company=%s order=%s number=%s", company.pk, locked.pk, number)
    return invoice


def invoice_print(*, order: Order, by: User | None) -> PrintedDocument:
    """Print the order's invoice (issuing it at the first print) and count the print.

    With Show Prices off, a packing slip is printed instead: no number, no snapshot stored.
    """
    options = invoice_settings_for(order.company)
    if not options.show_prices:
        return _packing_slip(order=order, by=by)
    invoice = invoice_issue(order=order, by=by)
    return document_print(invoice, by=by, print_printed_count=options.print_printed_count)


def document_print(
    document: Invoice, *, by: User | None, print_printed_count: bool, count: bool = True
) -> PrintedDocument:
    """Render an issued invoice or credit note from its snapshot and count the print (unless
    `count` is off: a bulk job's chunk delivered again prints what it had counted).

    Rendered outside any lock; a failure leaves the document issued, to print again.
    """
    copy_number = document.printed_count + (1 if count else 0)
    pdf = _render(document, printed_count=copy_number if print_printed_count else None)
    label = document.get_kind_display()
    if not count:
        return PrintedDocument(pdf=pdf, filename=f"{document.number}.pdf", invoice=document)
    with transaction.atomic():
        commit_without_flush_wait()  # a print count lost in a database crash costs nothing
        Invoice.objects.filter(pk=document.pk).update(
            printed_count=F("printed_count") + 1, last_printed_at=timezone.now()
        )
        order_event(
            order=document.order,
            kind=EventKind.INVOICE,
            message=f"{label} {document.number} printed.",
            user=by,
            data={"invoice_id": document.pk, "number": document.number},
        )
    document.refresh_from_db(fields=["printed_count", "last_printed_at"])
    return PrintedDocument(pdf=pdf, filename=f"{document.number}.pdf", invoice=document)


def document_pdf(document: Invoice) -> bytes:
    """The PDF of an issued invoice or credit note from its snapshot, without counting a print:
    a copy sent to a marketplace (issue 21) is not a print. Raises InvoiceRenderFailed."""
    return _render(document, printed_count=None)


def _render(document: Invoice, *, printed_count: int | None) -> bytes:
    """The document's PDF from its snapshot: a Factur-X file when it was issued as one."""
    factur_x = bool(document.snapshot.get("factur_x"))
    job = PrintJob(
        snapshot=document.snapshot,
        show_prices=True,
        printed_count=printed_count,
        pdf_variant=PDF_VARIANT if factur_x else None,
    )
    layout = CREDIT_NOTE_LAYOUT if document.kind == Invoice.Kind.CREDIT_NOTE else document.invoice_type
    renderer = renderer_for(layout, document.snapshot["order"]["channel"])
    try:
        pdf = renderer.render(job)
        return facturx_pdf(pdf, document.snapshot) if factur_x else pdf
    except FacturXFailed as e:
        logger.exception("event=invoice_factur_x_failed invoice=%s number=%s", document.pk, document.number)
        raise InvoiceRenderFailed(document, f"{e} Turn Factur-X off for its channel to print it as a plain PDF.") from e
    except RenderError as e:
        logger.warning("event=invoice_render_refused invoice=%s number=%s reason=%s", document.pk, document.number, e)
        raise InvoiceRenderFailed(document, str(e)) from e
    except Exception as e:
        logger.exception("event=invoice_render_failed invoice=%s number=%s", document.pk, document.number)
        raise InvoiceRenderFailed(document) from e


def _packing_slip(*, order: Order, by: User | None) -> PrintedDocument:
    company = order.company
    layout = layout_for(company, order.channel)
    snapshot = build_snapshot(
        order=order, company=company, issued_at=timezone.now(), number="", invoice_type=layout.invoice_type
    )
    snapshot.update(layout.snapshot_fields())
    try:
        pdf = renderer_for(layout.invoice_type, order.channel).render(PrintJob(snapshot=snapshot, show_prices=False))
    except RenderError as e:  # nothing was issued: a refusal with the renderer's reason
        raise InvoiceRefused(f"The packing slip could not be made: {e}") from e
    order_event(order=order, kind=EventKind.INVOICE, message="Packing slip printed (Show Prices is off).", user=by)
    return PrintedDocument(pdf=pdf, filename=f"packing-slip-{order.pk}.pdf", invoice=None)
