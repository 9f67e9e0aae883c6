"""The core app: users, companies (Sellercloud's unit of configuration), memberships, saved views."""

from decimal import Decimal
from zoneinfo import available_timezones

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q


def validate_time_zone(value: str) -> None:
    # A validator rather than choices: the zone list changes with tzdata, not with our schema.
    if value not in available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (e.g. Europe/Paris).")


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum that SIREN and SIRET numbers carry."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


# La Poste's establishments share one SIREN and are numbered beyond what Luhn allows: INSEE checks
# their SIRET by the sum of its digits instead.
_LA_POSTE_SIREN = "356000000"


def validate_siren_or_siret(value: str) -> None:
    """A SIREN (9 digits) or SIRET (14 digits) whose checksum is right (a typo is caught here,
    not on a printed invoice)."""
    if not value.isdigit() or len(value) not in (9, 14):
        raise ValidationError("Enter a SIREN (9 digits) or a SIRET (14 digits), digits only.")
    if len(value) == 14 and value.startswith(_LA_POSTE_SIREN) and sum(int(char) for char in value) % 5 == 0:
        return
    if not luhn_ok(value) or (len(value) == 14 and not luhn_ok(value[:9])):
        raise ValidationError(f"{value} is not a valid SIREN/SIRET: its checksum (Luhn) does not match.")


class LegalForm(models.TextChoices):
    """What French invoice law asks of the seller depends on it (share capital and RCS, or "EI")."""

    COMPANY = "company", "Company (société)"
    SOLE_TRADER = "sole_trader", "Sole trader (entrepreneur individuel, EI)"


class User(AbstractUser):
    """A person who logs in. A Client Admin sees every company and may do everything;
    an Employee sees only the companies of their memberships (SPEC S3)."""

    is_client_admin = models.BooleanField(
        "Client Admin",
        default=False,
        help_text="Every company, every action, users and credentials.",
    )

    @property
    def display_name(self) -> str:
        """How the product names a user everywhere (history, Sync Log, audit trails): the full
        name, else the username (issue 24)."""
        return self.get_full_name() or self.get_username()

    @property
    def role_label(self) -> str:
        return "Client Admin" if self.is_client_admin else "Employee"


class Company(models.Model):
    """A company of the client: channels, invoices and orders belong to one."""

    name = models.CharField(max_length=200)
    code = models.SlugField(max_length=40, unique=True, help_text="Short code, used by commands (e.g. MAISON).")
    legal_name = models.CharField(max_length=200, blank=True)
    address_line1 = models.CharField("Address", max_length=200, blank=True)
    address_line2 = models.CharField("Address (line 2)", max_length=200, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country_code = models.CharField("Country", max_length=2, default="FR")
    vat_number = models.CharField("VAT number", max_length=30, blank=True)
    siret = models.CharField(
        "SIREN/SIRET",
        max_length=14,
        blank=True,
        validators=[validate_siren_or_siret],
        help_text="9 digits (SIREN) or 14 (SIRET), checked with their Luhn checksum.",
    )
    # Legal details an invoice prints (French law; invoices.legal says which are required).
    legal_form = models.CharField(max_length=12, choices=LegalForm.choices, blank=True)
    company_type = models.CharField(
        "Company type", max_length=60, blank=True, help_text="Companies: e.g. SAS, SARL, SA."
    )
    share_capital = models.DecimalField(
        "Share capital (EUR)",
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Companies only.",
    )
    rcs_city = models.CharField("RCS city", max_length=100, blank=True, help_text="Companies: e.g. Paris.")
    vat_franchise = models.BooleanField(
        "VAT franchise",
        default=False,
        help_text="TVA non applicable, art. 293 B du CGI: invoices charge no VAT and print no VAT number.",
    )
    invoice_footer = models.TextField(blank=True, help_text="Printed at the bottom of every invoice.")
    logo = models.ImageField(upload_to="logos/", blank=True)
    time_zone = models.CharField(max_length=64, default="Europe/Paris", validators=[validate_time_zone])
    currency = models.CharField(max_length=3, default="EUR")
    default_vat_rate = models.DecimalField(
        "Default VAT rate (%)",
        max_digits=5,
        decimal_places=2,
        default=Decimal("20.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="Splits VAT-inclusive marketplace prices into HT and TVA.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "companies"

    def __str__(self) -> str:
        return self.name


class Permission(models.TextChoices):
    """What a membership may grant in one company (SPEC S3). Values are Membership field names."""

    VIEW_ORDERS = "can_view_orders", "View orders"
    PROCESS_ORDERS = "can_process_orders", "Process orders"
    CANCEL_ORDERS = "can_cancel_orders", "Cancel orders"
    ISSUE_REFUNDS = "can_issue_refunds", "Issue refunds"
    MANAGE_RMAS = "can_manage_rmas", "Manage RMAs"
    MANAGE_CHANNEL = "can_manage_channel", "Manage channel"
    MANAGE_INVOICES = "can_manage_invoices", "Manage invoice settings"


class Membership(models.Model):
    """An Employee's access to one company, with the permissions granted there."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    can_view_orders = models.BooleanField(Permission.VIEW_ORDERS.label, default=True)
    can_process_orders = models.BooleanField(
        Permission.PROCESS_ORDERS.label,
        default=False,
        help_text="Accept / refuse, ship, import tracking, holds, notes, addresses, resolve problems.",
    )
    can_cancel_orders = models.BooleanField(Permission.CANCEL_ORDERS.label, default=False)
    can_issue_refunds = models.BooleanField(Permission.ISSUE_REFUNDS.label, default=False)
    can_manage_rmas = models.BooleanField(Permission.MANAGE_RMAS.label, default=False)
    can_manage_channel = models.BooleanField(
        Permission.MANAGE_CHANNEL.label,
        default=False,
        help_text="Channel settings, Get Token, Download Orders, uploads, retries.",
    )
    can_manage_invoices = models.BooleanField(Permission.MANAGE_INVOICES.label, default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "company"], name="membership_unique_user_company")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company}"

    def grants(self, permission: Permission) -> bool:
        return bool(getattr(self, permission.value))


class SavedView(models.Model):
    """A named Manage Orders query (its URL query string), private to its user."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=100)
    query = models.TextField(blank=True, help_text="The Manage Orders query string.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="savedview_unique_user_name"),
            models.CheckConstraint(condition=~Q(name=""), name="savedview_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name
