"""Channel Specific for Cdiscount: the French "Facture" with every mention French law asks
(seller identity and registration, numbers and dates, per-line HT and VAT, per-rate VAT, totals,
the marketplace order reference, 293 B, the withdrawal right, and for a business buyer the B2B
payment terms)."""

from __future__ import annotations

from .base import PrintJob, html_to_pdf


class FactureRenderer:
    """The French legal invoice."""

    key = "facture_fr"
    label = "Facture (France)"

    def render(self, job: PrintJob) -> bytes:
        return html_to_pdf("invoices/facture_fr.html", job)
