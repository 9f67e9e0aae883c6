"""Staff views of the invoice tables. Invoices are documents of record: read only, never added or
deleted here (Print Invoice issues them)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Invoice, InvoicePreference, InvoiceSequence, InvoiceSettings, InvoiceSettingsChange, SkuVatRate


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ("number", "company", "order", "invoice_type", "issued_at", "printed_count")
    list_filter = ("invoice_type",)
    search_fields = ("number",)


@admin.register(InvoiceSequence)
class InvoiceSequenceAdmin(ReadOnlyAdmin):
    list_display = ("company", "year", "next_number")


@admin.register(InvoiceSettingsChange)
class InvoiceSettingsChangeAdmin(ReadOnlyAdmin):
    list_display = ("company", "changed_at", "user", "field", "old_value", "new_value")


admin.site.register(InvoiceSettings)
admin.site.register(InvoicePreference)
admin.site.register(SkuVatRate)
