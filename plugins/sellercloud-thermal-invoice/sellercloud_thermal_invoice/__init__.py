"""A 4x6 inch thermal-label invoice: half shipping label, half packing slip (a Sellercloud invoice
plugin, registered through the `sellercloud.invoice_plugins` entry point).

It renders the snapshot it is given with WeasyPrint and the app's offline URL fetcher, from a
Django template of its own (autoescaped: order data prints as text, never as markup).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__version__ = "1.0.0"
TEMPLATES = Path(__file__).resolve().parent / "templates"


class ThermalLabelInvoice:
    """The renderer: key, label, render(job) -> PDF bytes."""

    key = "thermal_4x6"
    label = "Thermal label 4x6 (half label, half packing slip)"

    def render(self, job: Any) -> bytes:
        # Imported when printing: the app has loaded Django and WeasyPrint by then.
        from django.template import Context, Engine
        from weasyprint import HTML

        from invoices.fetcher import BASE_URL, OfflineFetcher
        from invoices.templatetags.invoice_tags import dmy

        engine = Engine(dirs=[str(TEMPLATES)], autoescape=True)
        snapshot = job.snapshot
        items = [line for line in snapshot.get("lines", []) if line.get("kind") == "item"]
        html = engine.get_template("thermal_4x6.html").render(
            Context(
                {
                    "s": snapshot,
                    "items": items,
                    "show_prices": job.show_prices,
                    "printed": job.printed_count,
                    "issue_date": dmy(snapshot.get("issue_date", "")),
                    "order_date": dmy(snapshot.get("order", {}).get("order_date", "")),
                }
            )
        )
        return HTML(string=html, base_url=BASE_URL, url_fetcher=OfflineFetcher()).write_pdf()
