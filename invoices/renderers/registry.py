"""Which renderer prints an Invoice Type for a channel (SPEC S9).

Built-ins are registered from InvoicesConfig.ready(), Word to PDF and Plugin among them; the
plugins themselves are in renderers.plugins (a setting and entry points).
"""

from __future__ import annotations

from ..models import InvoiceType
from .base import InvoiceRenderer
from .credit_note import CREDIT_NOTE_LAYOUT, CreditNoteRenderer
from .facture_fr import FactureRenderer
from .plugins import PluginRenderer
from .standard import StandardRenderer
from .word import WordRenderer

# (invoice type, channel or "" for every channel) -> renderer
_RENDERERS: dict[tuple[str, str], InvoiceRenderer] = {}


def register(invoice_type: str, renderer: InvoiceRenderer, *, channel: str = "") -> None:
    """Make `renderer` print `invoice_type` for `channel` (for every channel when empty)."""
    _RENDERERS[(invoice_type, channel)] = renderer


def renderer_for(invoice_type: str, channel: str) -> InvoiceRenderer:
    """The channel's own renderer of the type, else the type's renderer for every channel."""
    renderer = _RENDERERS.get((invoice_type, channel)) or _RENDERERS.get((invoice_type, ""))
    if renderer is None:
        raise LookupError(f"No renderer for invoice type {invoice_type!r}.")
    return renderer


def register_builtins() -> None:
    """The renderers shipped with the app (called from InvoicesConfig.ready())."""
    register(InvoiceType.STANDARD, StandardRenderer())
    # The French legal invoice is Cdiscount's channel-specific layout, and the one for channels
    # without a layout of their own.
    register(InvoiceType.CHANNEL_SPECIFIC, FactureRenderer())
    register(InvoiceType.WORD, WordRenderer())
    register(InvoiceType.PLUGIN, PluginRenderer())
    # Credit notes of every type and channel (issue 19).
    register(CREDIT_NOTE_LAYOUT, CreditNoteRenderer())
