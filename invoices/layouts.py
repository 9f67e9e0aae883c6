"""Which layout a channel's invoices are issued with: the Per Channel Preference's Invoice Type,
with its Word template or plugin. What an invoice is issued with goes into its snapshot, so later
prints use the same layout (an invoice is a document of record)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sellercloud.models import Company

from .models import FacturX, InvoicePreference, InvoiceType
from .renderers.plugins import plugin_for

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Layout:
    invoice_type: str
    word_template_id: int | None = None
    plugin: str = ""
    factur_x: str = FacturX.BUSINESS  # which orders get Factur-X, once the company turns it on

    def snapshot_fields(self) -> dict[str, Any]:
        """What the snapshot keeps of the layout, for the renderers of later prints."""
        if self.invoice_type == InvoiceType.WORD:
            return {"word_template_id": self.word_template_id}
        if self.invoice_type == InvoiceType.PLUGIN:
            return {"plugin": self.plugin}
        return {}


def layout_for(company: Company, channel: str) -> Layout:
    """The channel's layout; Standard Invoice by default, and in place of a plugin that is no
    longer registered (Invoice Settings warns about it) or a Word type without a template."""
    preference = InvoicePreference.objects.filter(company=company, channel=channel).first()
    if preference is None:
        return Layout(InvoiceType.STANDARD)
    if preference.invoice_type == InvoiceType.PLUGIN:
        if plugin_for(preference.plugin) is None:
            logger.warning("event=invoice_plugin_missing plugin=%s company=%s", preference.plugin, company.pk)
            return Layout(InvoiceType.STANDARD)
        return Layout(InvoiceType.PLUGIN, plugin=preference.plugin)
    if preference.invoice_type == InvoiceType.WORD:
        if preference.word_template_id is None:
            return Layout(InvoiceType.STANDARD)
        return Layout(InvoiceType.WORD, word_template_id=preference.word_template_id)
    return Layout(preference.invoice_type, factur_x=preference.factur_x)
