"""The interface every invoice renderer implements, and the WeasyPrint step the HTML ones share.

A renderer turns a PrintJob (the invoice's snapshot and how to print it) into PDF bytes. It never
reads the order: everything it prints is in the snapshot. Part 3's Word to PDF and plugin
renderers implement the same interface.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from django.template.loader import render_to_string


@dataclass(frozen=True)
class PrintJob:
    """What one print renders: the snapshot, and the options in force for it."""

    snapshot: dict[str, Any]
    show_prices: bool = True  # False: a packing slip (no number, no prices)
    printed_count: int | None = None  # printed when set (Print Printed Count)

    @property
    def is_packing_slip(self) -> bool:
        return not self.show_prices


class InvoiceRenderer(Protocol):
    """Turns a print job into a PDF."""

    key: str
    label: str

    def render(self, job: PrintJob) -> bytes:
        """The PDF bytes of `job`; raises on failure (the invoice stays issued, to print again)."""
        ...


def html_to_pdf(template_name: str, job: PrintJob) -> bytes:
    """Render a Django template of the job to PDF, offline: only our static files and media are
    fetched (invoices.fetcher), and every value of the snapshot is escaped by the template."""
    # Imported here: WeasyPrint takes a while to load, and only printing needs it.
    from weasyprint import HTML

    from ..fetcher import BASE_URL, OfflineFetcher

    html = render_to_string(template_name, {"job": job, "s": job.snapshot})
    return HTML(string=html, base_url=BASE_URL, url_fetcher=OfflineFetcher()).write_pdf()
