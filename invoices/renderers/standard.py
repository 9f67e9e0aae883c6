"""Standard Invoice: Sellercloud's layout (SPEC S9), in English, with the French legal block."""

from __future__ import annotations

from .base import PrintJob, html_to_pdf


class StandardRenderer:
    """Company header with logo, number and date, order and channel order ids, bill-to and
    ship-to, items, subtotal, shipping, VAT, grand total, payments and refunds."""

    key = "standard"
    label = "Standard Invoice"

    def render(self, job: PrintJob) -> bytes:
        return html_to_pdf("invoices/standard.html", job)
