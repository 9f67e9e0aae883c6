"""Invoice Settings (per company and channel), VAT rates per SKU, the gap-free invoice series and
the invoices themselves, documents of record (SPEC S4, S9)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from orders.choices import Channel
from orders.models import Order, Refund
from sellercloud.models import Company


class InvoiceType(models.TextChoices):
    """How a channel's invoices are printed. Word to PDF fills the preference's Word template;
    Plugin prints with the preference's registered plugin (invoices.plugins)."""

    STANDARD = "standard", "Standard Invoice"
    CHANNEL_SPECIFIC = "channel_specific", "Channel Specific"
    WORD = "word", "Word to PDF"
    PLUGIN = "plugin", "Plugin"


class WordTemplate(models.Model):
    """An uploaded .docx invoice template (Word to PDF), checked on upload (invoices.word).

    Kept in the database: a few hundred kilobytes, saved in the same transaction as its audit
    row, so a refused or failed upload leaves nothing behind.
    """

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="word_templates")
    name = models.CharField(max_length=100)
    content = models.BinaryField()
    size = models.PositiveIntegerField()
    placeholders = models.JSONField(default=list, help_text="The placeholders the template uses.")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.name


class InvoiceSettings(models.Model):
    """A company's default invoice options (Sellercloud's checkboxes of the Standard type)."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="invoice_settings")
    show_prices = models.BooleanField(
        "Show Prices", default=True, help_text="Off: a packing slip is printed instead, and it takes no number."
    )
    print_printed_count = models.BooleanField(
        "Print Printed Count", default=False, help_text="Print how many times the invoice was printed."
    )
    factur_x = models.BooleanField(
        "Factur-X invoices",
        default=False,
        help_text="On: invoices and credit notes of the channels that ask for it (business orders by default) are "
        "Factur-X files: a PDF/A-3 with the EN 16931 XML inside.",
    )

    class Meta:
        verbose_name_plural = "invoice settings"

    def __str__(self) -> str:
        return f"Invoice Settings of {self.company}"


class FacturX(models.TextChoices):
    """Which orders of a channel get Factur-X invoices, once the company turns Factur-X on."""

    BUSINESS = "business", "Business orders"
    ALL = "all", "Every order"
    NEVER = "never", "Never"


class InvoicePreference(models.Model):
    """Per Channel Preferences: the Invoice Type of one channel, with or without an account."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="invoice_preferences")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    invoice_type = models.CharField(max_length=30, choices=InvoiceType.choices, default=InvoiceType.STANDARD)
    word_template = models.ForeignKey(
        WordTemplate, on_delete=models.PROTECT, null=True, blank=True, related_name="preferences"
    )
    plugin = models.CharField(max_length=200, blank=True, help_text="The registered plugin of the Plugin type.")
    factur_x = models.CharField("Factur-X", max_length=10, choices=FacturX.choices, default=FacturX.BUSINESS)

    class Meta:
        ordering = ["company", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["company", "channel"], name="invoicepreference_unique_company_channel")
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.get_invoice_type_display()}"


class SkuVatRate(models.Model):
    """The VAT rate of one SKU when it is not the company's (5.5 for books)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="sku_vat_rates")
    sku = models.CharField("SKU", max_length=100)
    rate = models.DecimalField(
        "VAT rate (%)",
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )

    class Meta:
        ordering = ["sku"]
        constraints = [models.UniqueConstraint(fields=["company", "sku"], name="skuvatrate_unique_company_sku")]

    def __str__(self) -> str:
        return f"{self.sku}: {self.rate} %"


class InvoiceSettingsChange(models.Model):
    """The Invoice Settings audit trail: who changed what, from what to what."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="invoice_settings_changes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    field = models.CharField(max_length=150)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.field} changed"


class InvoiceSequence(models.Model):
    """A company's series of one kind (invoices "F", credit notes "AV") for one calendar year: the
    next number to give, taken under a row lock so that numbers are unique and gap-free (French law)."""

    class Series(models.TextChoices):
        INVOICE = "F", "Invoices"
        CREDIT_NOTE = "AV", "Credit notes"

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="invoice_sequences")
    series = models.CharField(max_length=4, choices=Series.choices, default=Series.INVOICE)
    year = models.PositiveIntegerField()
    next_number = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "series", "year"], name="invoicesequence_unique_company_series_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.series}{self.year}: next {self.next_number}"


class InvoiceDeletionRefused(Exception):
    """An invoice is a document of record: it is never deleted (a credit note corrects it)."""


class InvoiceQuerySet(models.QuerySet["Invoice"]):
    def delete(self) -> Any:
        raise InvoiceDeletionRefused("Invoices are documents of record: they cannot be deleted.")


class Invoice(models.Model):
    """An issued invoice: its number and the snapshot of everything it prints.

    Later prints render the snapshot, never the order again (the order may change; the invoice
    does not). The printed count goes up at each print.
    """

    class Kind(models.TextChoices):
        INVOICE = "invoice", "Invoice"
        CREDIT_NOTE = "credit_note", "Credit note"  # a facture d'avoir: corrects `corrects`

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="invoices")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="invoices")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    number = models.CharField(max_length=30)
    year = models.PositiveIntegerField()
    sequence_number = models.PositiveIntegerField()
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    invoice_type = models.CharField(max_length=30, choices=InvoiceType.choices)
    snapshot = models.JSONField(help_text="Everything the invoice prints, as issued.")
    printed_count = models.PositiveIntegerField(default=0)
    last_printed_at = models.DateTimeField(null=True, blank=True)
    # Credit notes only: the invoice corrected, the amount credited (VAT included), and the refund
    # that issued it (none for the credit note of a cancel after invoicing).
    corrects = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes")
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes")

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="invoice_unique_company_number"),
            models.UniqueConstraint(
                fields=["company", "kind", "year", "sequence_number"], name="invoice_unique_company_kind_sequence"
            ),
            models.UniqueConstraint(fields=["order"], condition=Q(kind="invoice"), name="invoice_one_per_order"),
            # A refund gets at most one credit note, and so does an order's cancel.
            models.UniqueConstraint(fields=["refund"], name="creditnote_one_per_refund"),
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(kind="credit_note", refund__isnull=True),
                name="creditnote_one_per_cancel",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise InvoiceDeletionRefused(f"Invoice {self.number} is a document of record: it cannot be deleted.")
