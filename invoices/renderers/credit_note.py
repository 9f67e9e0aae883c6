"""The credit note ("Facture d'avoir", issue 19): the invoice's layout turned round, for every
Invoice Type and channel unless a channel registers its own under CREDIT_NOTE_LAYOUT. It names
the invoice it corrects, the reason, one line per VAT rate, the per-rate VAT and the totals."""

from __future__ import annotations

from .base import PrintJob, html_to_pdf

CREDIT_NOTE_LAYOUT = "credit_note"  # the registry key credit notes are printed with


class CreditNoteRenderer:
    """The French credit note, with English subtitles."""

    key = CREDIT_NOTE_LAYOUT
    label = "Facture d'avoir (credit note)"

    def render(self, job: PrintJob) -> bytes:
        return html_to_pdf("invoices/credit_note.html", job)
