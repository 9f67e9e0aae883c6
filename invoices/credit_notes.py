"""Credit notes (factures d'avoir, SPEC S9, issue 19): a refund on an invoiced order, or a cancel
after invoicing, issues a credit note that corrects the order's invoice.

A credit note takes the next number of the company's own credit-note series (AV2026-000007),
refers to the invoice, and splits its amount across the invoice's VAT rates pro rata (the last
credit note of an invoice takes exactly what each rate has left). Credit notes never add up to
more than their invoice: one that would is refused, with the reason, and nothing is written.
They are issued from orders' on-commit hooks (registered in InvoicesConfig.ready()), once per
refund and once per cancel (unique constraints); a failure there is logged and never undoes the
refund, and printing from the Refunds panel issues what is missing.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from orders.choices import EventKind, OrderStatus
from orders.events import order_event
from orders.models import Order, Refund
from sellercloud.models import Company, User

from .models import Invoice, InvoiceSequence
from .series import series_number, series_take_next, series_year
from .services import PrintedDocument, document_print, invoice_settings_for
from .snapshot import breakdown_block, line_block, local_date, money_text, rate_text, seller_block, totals_of
from .vat import VatLine, breakdown, pro_rata

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")


class CreditNoteRefused(Exception):
    """No credit note can be issued; the message says why. Nothing was written."""


def credit_note_number(year: int, sequence_number: int) -> str:
    """The printed number: AV2026-000007."""
    return series_number(InvoiceSequence.Series.CREDIT_NOTE, year, sequence_number)


def invoice_total(invoice: Invoice) -> Decimal:
    """What the invoice charged, VAT included."""
    return Decimal(invoice.snapshot["totals"]["ttc"])


def _rates_of(snapshot: dict[str, Any]) -> dict[Decimal, Decimal]:
    """TTC per VAT rate of an invoice's or credit note's breakdown."""
    return {Decimal(row["rate"]): Decimal(row["ttc"]) for row in snapshot["vat_breakdown"]}


def credit_parts(invoice: Invoice, earlier: list[Invoice], amount: Decimal) -> dict[Decimal, Decimal]:
    """TTC per VAT rate of a credit note of `amount` on `invoice`, after the `earlier` ones.

    Pro rata of the invoice's rates; a credit note that credits all that is left takes each
    rate's remainder instead, so an invoice credited in full is credited to the cent per rate.
    """
    weights = _rates_of(invoice.snapshot)
    credited = sum((note.amount or ZERO for note in earlier), ZERO)
    if amount == invoice_total(invoice) - credited:
        remaining = dict(weights)
        for note in earlier:
            for rate, ttc in _rates_of(note.snapshot).items():
                remaining[rate] = remaining.get(rate, ZERO) - ttc
        if all(ttc >= 0 for ttc in remaining.values()):
            return {rate: ttc for rate, ttc in remaining.items() if ttc}
    return {rate: ttc for rate, ttc in pro_rata(amount, weights).items() if ttc}


def _refusal(invoice: Invoice, earlier: list[Invoice], amount: Decimal, currency: str) -> CreditNoteRefused:
    credited = sum((note.amount or ZERO for note in earlier), ZERO)
    left = invoice_total(invoice) - credited
    numbers = ", ".join(note.number for note in earlier)
    return CreditNoteRefused(
        f"A credit note of {amount} {currency} would credit more than invoice {invoice.number} "
        f"({invoice_total(invoice)} {currency}): credit notes {numbers} already credit {credited} {currency}, "
        f"so at most {left} {currency} is left to credit."
    )


def _reason(refund: Refund | None, zone: ZoneInfo) -> dict[str, str]:
    if refund is None:
        return {"kind": "cancel", "text": "Annulation de la commande"}
    return {
        "kind": "refund",
        "text": f"Remboursement du {refund.refund_date.strftime('%d/%m/%Y')}",
        "notes": refund.notes,
        "amount": money_text(refund.amount),
    }


def credit_note_snapshot(
    *,
    invoice: Invoice,
    company: Company,
    number: str,
    issued_at: datetime,
    parts: dict[Decimal, Decimal],
    refund: Refund | None,
) -> dict[str, Any]:
    """Everything the credit note prints: the buyer and order as the invoice printed them, the
    seller as of now, the invoice it corrects, and one line per VAT rate."""
    zone = ZoneInfo(company.time_zone)
    source = invoice.snapshot
    lines = [
        VatLine("credit", f"Avoir sur facture {invoice.number} — TVA {rate_text(rate)} %", "", 1, ttc, rate, ttc)
        for rate, ttc in sorted(parts.items())
    ]
    rates = breakdown(lines)
    return {
        "kind": Invoice.Kind.CREDIT_NOTE.value,
        "number": number,
        "invoice_type": invoice.invoice_type,
        "currency": source["currency"],
        "issued_at": issued_at.isoformat(),
        "issue_date": local_date(issued_at, zone),
        "seller": seller_block(company),
        "buyer": source["buyer"],
        "billing_address": source["billing_address"],
        "shipping_address": source["shipping_address"],
        "order": source["order"],
        "corrects": {"number": invoice.number, "issue_date": source["issue_date"], "ttc": source["totals"]["ttc"]},
        "reason": _reason(refund, zone),
        "lines": [line_block(line) for line in lines],
        "vat_breakdown": breakdown_block(rates),
        "totals": totals_of(lines, rates),
        "factur_x": bool(source.get("factur_x")),  # a Factur-X invoice's credit notes are Factur-X too
    }


def _existing(order: Order, refund: Refund | None) -> Invoice | None:
    notes = Invoice.objects.filter(order=order, kind=Invoice.Kind.CREDIT_NOTE)
    return notes.filter(refund=refund).first() if refund is not None else notes.filter(refund__isnull=True).first()


@transaction.atomic
def credit_note_issue(*, order: Order, refund: Refund | None = None, by: User | None = None) -> Invoice | None:
    """The credit note of `refund` (or, without one, of the order's cancel): the one issued
    before, a new one, or None when the order has no invoice or nothing is left to credit.

    Refused (CreditNoteRefused, nothing written) when the refund is of another order or would
    take the invoice's credit notes above the invoice.
    """
    # The order's lock serialises credit notes of one order (and its invoice's issue).
    locked = Order.objects.select_for_update(of=("self",)).select_related("company").get(pk=order.pk)
    if refund is not None and refund.order_id != locked.pk:
        raise CreditNoteRefused(f"Refund {refund.pk} is not a refund of order {locked.pk}.")
    if (existing := _existing(locked, refund)) is not None:
        return existing
    invoice = Invoice.objects.filter(order=locked, kind=Invoice.Kind.INVOICE).first()
    if invoice is None:
        return None
    earlier = list(invoice.credit_notes.order_by("year", "sequence_number"))
    left = invoice_total(invoice) - sum((note.amount or ZERO for note in earlier), ZERO)
    amount = refund.amount if refund is not None else left
    if amount <= 0:
        return None
    if amount > left:
        cancel_note = next((note for note in earlier if note.refund_id is None), None)
        if refund is not None and cancel_note is not None and left <= 0:
            raise CreditNoteRefused(
                f"Nothing is left to credit: credit note {cancel_note.number}, issued when the order was "
                f"cancelled, already credits invoice {invoice.number} in full, this refund included. "
                "Print it from Invoices and Credit Notes (Order Details > Actions)."
            )
        raise _refusal(invoice, earlier, amount, invoice.snapshot["currency"])
    return _store(invoice=invoice, order=locked, refund=refund, amount=amount, earlier=earlier, by=by)


def _store(
    *, invoice: Invoice, order: Order, refund: Refund | None, amount: Decimal, earlier: list[Invoice], by: User | None
) -> Invoice:
    company = order.company
    issued_at = timezone.now()
    year = series_year(company, issued_at)
    parts = credit_parts(invoice, earlier, amount)
    # The series row is locked last and for the shortest time: from here to the commit.
    sequence_number = series_take_next(company=company, series=InvoiceSequence.Series.CREDIT_NOTE, year=year)
    number = credit_note_number(year, sequence_number)
    snapshot = credit_note_snapshot(
        invoice=invoice, company=company, number=number, issued_at=issued_at, parts=parts, refund=refund
    )
    note = Invoice.objects.create(
        company=company,
        order=order,
        kind=Invoice.Kind.CREDIT_NOTE,
        number=number,
        year=year,
        sequence_number=sequence_number,
        issued_at=issued_at,
        issued_by=by if by is not None and by.is_authenticated else None,
        invoice_type=invoice.invoice_type,
        snapshot=snapshot,
        corrects=invoice,
        amount=amount,
        refund=refund,
    )
    order_event(
        order=order,
        kind=EventKind.INVOICE,
        message=f"Credit note {number} issued on invoice {invoice.number} ({amount} {snapshot['currency']}).",
        user=by,
        data={"invoice_id": note.pk, "number": number, "corrects": invoice.number},
    )
    logger.info("event=credit_note_issued order=%s number=%s invoice=%s", order.pk, number, invoice.number)
    return note


def credit_note_for_refund(*, order_id: int, refund_id: int) -> None:
    """orders' refund hook: the refund's credit note, if its order is invoiced. A refusal is
    logged (the refund stands; the reason shows when the credit note is printed)."""
    refund = Refund.objects.select_related("order").get(pk=refund_id)
    try:
        credit_note_issue(order=refund.order, refund=refund, by=None)
    except CreditNoteRefused as refused:
        logger.warning("event=credit_note_refused order=%s refund=%s reason=%s", order_id, refund_id, refused)


def credit_note_for_cancel(*, order_id: int) -> None:
    """orders' cancel hook: a credit note for what the invoice's credit notes have not credited."""
    try:
        credit_note_issue(order=Order.objects.get(pk=order_id), refund=None, by=None)
    except CreditNoteRefused as refused:
        logger.warning("event=credit_note_refused order=%s reason=%s", order_id, refused)


def credit_notes_issue_missing(*, company: Company | None = None) -> tuple[int, list[str]]:
    """Issue the credit notes the hooks missed (a crash between commit and hook): one per refund
    of an invoiced order, and one per cancelled invoiced order. Returns (issued, refusals)."""
    invoiced = Invoice.objects.filter(kind=Invoice.Kind.INVOICE)
    if company is not None:
        invoiced = invoiced.filter(company=company)
    order_ids = set(invoiced.values_list("order_id", flat=True))
    issued, refusals = 0, []
    refunds = Refund.objects.filter(order_id__in=order_ids, credit_notes__isnull=True).select_related("order")
    for refund in refunds.order_by("pk"):
        try:
            issued += credit_note_issue(order=refund.order, refund=refund) is not None
        except CreditNoteRefused as refused:
            refusals.append(f"Refund {refund.pk}: {refused}")
    cancel_notes = Invoice.objects.filter(order=OuterRef("pk"), kind=Invoice.Kind.CREDIT_NOTE, refund__isnull=True)
    cancelled = Order.objects.filter(pk__in=order_ids, status=OrderStatus.CANCELED).exclude(Exists(cancel_notes))
    for order in cancelled.order_by("pk"):
        issued += credit_note_issue(order=order, refund=None) is not None
    return issued, refusals


def order_documents(order: Order) -> list[Invoice]:
    """The order's invoice, then its credit notes in the order of their numbers."""
    documents = Invoice.objects.filter(order=order).select_related("corrects")
    return sorted(documents, key=lambda d: (d.kind != Invoice.Kind.INVOICE, d.year, d.sequence_number))


def credit_note_print_for_refund(*, refund: Refund, by: User | None) -> PrintedDocument:
    """Print the refund's credit note (Refunds panel), issuing it first if the hook did not."""
    note = credit_note_issue(order=refund.order, refund=refund, by=by)
    if note is None:
        raise CreditNoteRefused(
            f"Order {refund.order_id} has no invoice: a refund of an order never invoiced takes no credit note."
        )
    return credit_note_print(credit_note=note, by=by)


def credit_note_print(*, credit_note: Invoice, by: User | None) -> PrintedDocument:
    """Print an issued credit note from its snapshot and count the print."""
    if credit_note.kind != Invoice.Kind.CREDIT_NOTE:
        raise CreditNoteRefused(f"{credit_note.number} is not a credit note.")
    options = invoice_settings_for(credit_note.company)
    return document_print(credit_note, by=by, print_printed_count=options.print_printed_count)
