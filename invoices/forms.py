"""Invoice Settings' form: the default options, one Invoice Type per channel, and the VAT rates
per SKU (existing rows plus a few empty ones; a row whose SKU is emptied is removed)."""

from __future__ import annotations

from typing import Any

from django import forms

from orders.choices import Channel

from .models import InvoiceSettings, InvoiceType
from .settings_services import SkuRate

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

    def __init__(self, *args: Any, rate_rows: int = EMPTY_RATE_ROWS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for channel in Channel:
            self.fields[f"type_{channel.value}"] = forms.ChoiceField(
                label=f"Invoice Type for {channel.label}", choices=InvoiceType.choices, initial=InvoiceType.STANDARD
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
    def channel_rows(self) -> list[tuple[Channel, forms.BoundField]]:
        return [(channel, self[f"type_{channel.value}"]) for channel in Channel]

    @property
    def rate_fields(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"sku_{n}"], self[f"rate_{n}"]) for n in range(self.rate_rows)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for n in range(self.rate_rows):
            sku, rate = (data.get(f"sku_{n}") or "").strip(), data.get(f"rate_{n}")
            if sku and rate is None:
                self.add_error(f"rate_{n}", f"Give the VAT rate of {sku}, or empty its SKU to remove the row.")
            if rate is not None and not sku:
                self.add_error(f"sku_{n}", "A VAT rate needs its SKU.")
        return data

    def channel_types(self) -> dict[str, str]:
        return {channel.value: self.cleaned_data[f"type_{channel.value}"] for channel in Channel}

    def sku_rates(self) -> list[SkuRate]:
        rows = []
        for n in range(self.rate_rows):
            sku = (self.cleaned_data.get(f"sku_{n}") or "").strip()
            if sku:
                rows.append(SkuRate(sku=sku, rate=self.cleaned_data[f"rate_{n}"]))
        return rows
