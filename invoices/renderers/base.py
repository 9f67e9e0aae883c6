"""The interface every invoice renderer implements, and the WeasyPrint step the HTML ones share.

A renderer turns a PrintJob (the invoice's snapshot and how to print it) into PDF bytes. It never
reads the order: everything it prints is in the snapshot. Word to PDF (renderers.word) and the
plugins (renderers.plugins) implement the same interface.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

STYLESHEET = "invoices/invoice.css"
_local = threading.local()


@dataclass(frozen=True)
class PrintJob:
    """What one print renders: the snapshot, and the options in force for it."""

    snapshot: dict[str, Any]
    show_prices: bool = True  # False: a packing slip (no number, no prices)
    printed_count: int | None = None  # printed when set (Print Printed Count)
    pdf_variant: str | None = None  # "pdf/a-3b" for a Factur-X invoice (invoices.facturx)

    @property
    def is_packing_slip(self) -> bool:
        return not self.show_prices


class RenderError(Exception):
    """A render failed in a way the user can act on (no converter, a plugin that raised): the
    message says what happened, and the print shows it."""


class InvoiceRenderer(Protocol):
    """Turns a print job into a PDF."""

    key: str
    label: str

    def render(self, job: PrintJob) -> bytes:
        """The PDF bytes of `job`; raises on failure (the invoice stays issued, to print again)."""
        ...


def _stylesheet() -> tuple[Any, Any]:
    """The invoice stylesheet, parsed once per thread with its font configuration: parsing it
    took about a third of each render (SPEC S11 asks for fast single prints)."""
    if not hasattr(_local, "stylesheet"):
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        from ..fetcher import OfflineFetcher

        path = finders.find(STYLESHEET) or str(Path(settings.STATIC_ROOT) / STYLESHEET)
        fonts = FontConfiguration()
        # Our fetcher here too: a url() in the stylesheet gets no more than the templates do.
        _local.stylesheet = (CSS(filename=path, font_config=fonts, url_fetcher=OfflineFetcher()), fonts)
    return _local.stylesheet


def html_to_pdf(template_name: str, job: PrintJob) -> bytes:
    """Render a Django template of the job to PDF, offline: only our static files and media are
    fetched (invoices.fetcher), and every value of the snapshot is escaped by the template."""
    # Imported here: WeasyPrint takes a while to load, and only printing needs it.
    from weasyprint import HTML

    from ..fetcher import BASE_URL, OfflineFetcher

    html = render_to_string(template_name, {"job": job, "s": job.snapshot})
    stylesheet, fonts = _stylesheet()
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=OfflineFetcher())
    return document.write_pdf(stylesheets=[stylesheet], font_config=fonts, pdf_variant=job.pdf_variant)
