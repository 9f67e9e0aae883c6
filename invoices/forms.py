"""Invoice Settings' forms: the default options, one Invoice Type per channel (with its Word
template or plugin), the VAT rates per SKU (existing rows plus a few empty ones; a row whose SKU
is emptied is removed), and the Word template upload."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from orders.choices import Channel

from .models import FacturX, InvoiceSettings, InvoiceType
from .settings_services import ChannelChoice, SkuRate

EMPTY_RATE_ROWS = 3
# The page posts how many rate rows it showed; a forged number is bounded.
MAX_RATE_ROWS = 500


class InvoiceSettingsForm(forms.Form):
    show_prices = forms.BooleanField(
        label="Show Prices", required=False, help_text=InvoiceSettings._meta.get_field("show_prices").help_text
    )
    print_printed_count = forms.BooleanField(
        label="Print Printed Count",
        required=False,
        help_text=InvoiceSettings._meta.get_field("print_printed_count").help_text,
    )
    factur_x = forms.BooleanField(
        label="Factur-X invoices", required=False, help_text=InvoiceSettings._meta.get_field("factur_x").help_text
    )

    def __init__(
        self,
        *args: Any,
        rate_rows: int = EMPTY_RATE_ROWS,
        word_templates: Sequence[tuple[int, str]] = (),
        plugins: Sequence[tuple[str, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        for channel in Channel:
            self.fields[f"type_{channel.value}"] = forms.ChoiceField(
                label=f"Invoice Type for {channel.label}", choices=InvoiceType.choices, initial=InvoiceType.STANDARD
            )
            self.fields[f"word_{channel.value}"] = forms.TypedChoiceField(
                label=f"Word template for {channel.label}",
                choices=[("", "—"), *word_templates],
                coerce=int,
                empty_value=None,
                required=False,
            )
            # Only registered plugins are offered (invoices.renderers.plugins).
            self.fields[f"plugin_{channel.value}"] = forms.ChoiceField(
                label=f"Plugin for {channel.label}", choices=[("", "—"), *plugins], required=False
            )
            self.fields[f"fx_{channel.value}"] = forms.ChoiceField(
                label=f"Factur-X for {channel.label}", choices=FacturX.choices, initial=FacturX.BUSINESS
            )
        self.rate_rows = rate_rows
        for n in range(rate_rows):
            self.fields[f"sku_{n}"] = forms.CharField(label=f"SKU (row {n + 1})", required=False, max_length=100)
            self.fields[f"rate_{n}"] = forms.DecimalField(
                label=f"VAT rate % (row {n + 1})", required=False, min_value=0, max_value=100, decimal_places=2
            )

    @staticmethod
    def posted_rows(data: Any) -> int:
        """How many VAT rate rows the posted page had."""
        rows = str(data.get("rate_rows", ""))
        return min(int(rows), MAX_RATE_ROWS) if rows.isdigit() else EMPTY_RATE_ROWS

    @property
    def channel_rows(
        self,
    ) -> list[tuple[Channel, forms.BoundField, forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [
            (
                channel,
                self[f"type_{channel.value}"],
                self[f"word_{channel.value}"],
                self[f"plugin_{channel.value}"],
                self[f"fx_{channel.value}"],
            )
            for channel in Channel
        ]

    @property
    def rate_fields(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"sku_{n}"], self[f"rate_{n}"]) for n in range(self.rate_rows)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for channel in Channel:
            invoice_type = data.get(f"type_{channel.value}")
            if invoice_type == InvoiceType.WORD and not data.get(f"word_{channel.value}"):
                self.add_error(f"word_{channel.value}", f"Choose the Word template {channel.label} prints with.")
            if invoice_type == InvoiceType.PLUGIN and not data.get(f"plugin_{channel.value}"):
                self.add_error(f"plugin_{channel.value}", f"Choose the plugin {channel.label} prints with.")
        for n in range(self.rate_rows):
            sku, rate = (data.get(f"sku_{n}") or "").strip(), data.get(f"rate_{n}")
            if sku and rate is None:
                self.add_error(f"rate_{n}", f"Give the VAT rate of {sku}, or empty its SKU to remove the row.")
            if rate is not None and not sku:
                self.add_error(f"sku_{n}", "A VAT rate needs its SKU.")
        return data

    def channel_choices(self) -> dict[str, ChannelChoice]:
        """Each channel's Invoice Type, with the template or plugin only where the type uses it."""
        choices = {}
        for channel in Channel:
            invoice_type = self.cleaned_data[f"type_{channel.value}"]
            template = self.cleaned_data.get(f"word_{channel.value}") if invoice_type == InvoiceType.WORD else None
            plugin = self.cleaned_data.get(f"plugin_{channel.value}", "") if invoice_type == InvoiceType.PLUGIN else ""
            choices[channel.value] = ChannelChoice(
                invoice_type, template, plugin, self.cleaned_data[f"fx_{channel.value}"]
            )
        return choices

    def sku_rates(self) -> list[SkuRate]:
        rows = []
        for n in range(self.rate_rows):
            sku = (self.cleaned_data.get(f"sku_{n}") or "").strip()
            if sku:
                rows.append(SkuRate(sku=sku, rate=self.cleaned_data[f"rate_{n}"]))
        return rows


class WordTemplateUploadForm(forms.Form):
    """Upload a .docx invoice template; the checks are the service's (invoices.word.services)."""

    name = forms.CharField(label="Name", max_length=100, required=False, help_text="The file's name when empty.")
    file = forms.FileField(label="Word template (.docx)")
