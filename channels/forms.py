"""Forms of the Cdiscount pages: General Settings, Download Orders, and the Sync Log filters.

They validate and say what is wrong; saving goes through channels.account_services.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.validators import URLValidator
from django.db.models import QuerySet
from django.utils import timezone

from sellercloud.inputs import BoundedDateField, IdListField, IdModelChoiceField
from sellercloud.models import Company

from .account_services import ENDPOINT_ADMIN_ONLY, ENDPOINT_FIELDS, POSITIVE_FIELDS, CarrierRow, whole_number_message
from .ledger import DEFAULT_DAYS, MAX_DAYS, Span
from .models import CdiscountAccount, Environment, SyncRun

DAYS_MESSAGE = f"Enter a whole number of days from 1 to {MAX_DAYS}."

_http_url = URLValidator(schemes=["http", "https"], message="Enter a URL that starts with http:// or https://.")


def _whole_number(label: str, name: str) -> forms.IntegerField:
    """A whole-number setting from 1 to its largest (account_services.POSITIVE_FIELDS)."""
    largest = POSITIVE_FIELDS[name]
    message = whole_number_message(largest)
    return forms.IntegerField(
        label=label,
        min_value=1,
        max_value=largest,
        error_messages={"min_value": message, "max_value": message, "invalid": message},
    )


class _Form(forms.Form):
    """Labels without Django's trailing colon, as in Sellercloud's panels."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _url_field(label: str, help_text: str) -> forms.CharField:
    # A CharField, not a URLField: a URL without a scheme is refused rather than guessed.
    return forms.CharField(
        label=label,
        required=False,
        max_length=300,
        validators=[_http_url],
        help_text=help_text,
        widget=forms.URLInput,
    )


class CdiscountSettingsForm(_Form):
    """General Settings > Edit. The client secret is write-only: never rendered back."""

    enabled = forms.BooleanField(label="Enabled", required=False, help_text="Master switch for this channel.")
    client_id = forms.CharField(label="Client ID", max_length=200, required=False)
    client_secret = forms.CharField(
        label="Client Secret",
        required=False,
        max_length=500,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Write-only. Leave empty to keep the current secret.",
    )
    clear_client_secret = forms.BooleanField(label="Clear the client secret", required=False)
    seller_id = forms.CharField(label="Seller ID", max_length=40, required=False)
    sales_channel_id = forms.CharField(label="Sales Channel", max_length=20, help_text="e.g. CDISFR")
    environment = forms.ChoiceField(
        label="Environment",
        choices=Environment.choices,
        help_text="Production and Local sandbox use fixed URLs. Changing where the credentials go clears the secret.",
    )
    custom_api_base_url = _url_field("Custom API base URL", "Custom URL only, e.g. https://api.example.com/seller/v2")
    custom_token_url = _url_field("Custom token URL", "Custom URL only: the OAuth2 token endpoint.")
    download_enabled = forms.BooleanField(label="Enable Order Download", required=False)
    download_interval_minutes = _whole_number("Download interval (minutes)", "download_interval_minutes")
    allow_unpaid_orders = forms.BooleanField(
        label="Allow UnPaid Order",
        required=False,
        help_text="Also download orders not paid yet (waiting for acceptance). Turning it on re-reads the look-back.",
    )
    auto_accept_orders = forms.BooleanField(label="Auto-accept orders", required=False)
    lookback_days = _whole_number("First download look-back (days)", "lookback_days")
    upload_enabled = forms.BooleanField(label="Enable Order Fulfillment Upload", required=False)
    upload_interval_minutes = _whole_number("Upload interval (minutes)", "upload_interval_minutes")
    invoice_upload_enabled = forms.BooleanField(
        label="Upload invoices to Cdiscount",
        required=False,
        help_text="The invoice of each order Ship Confirmed from now on is issued if needed and posted to Cdiscount, "
        "on the upload interval. Credit notes stay here.",
    )

    CREDENTIALS = ("enabled", "environment", "client_id", "client_secret", "clear_client_secret", "seller_id",
                   "sales_channel_id", "custom_api_base_url", "custom_token_url")  # fmt: skip
    ORDERS = ("download_enabled", "download_interval_minutes", "allow_unpaid_orders", "auto_accept_orders",
              "lookback_days")  # fmt: skip
    FULFILLMENT = ("upload_enabled", "upload_interval_minutes", "invoice_upload_enabled")

    def __init__(self, *args: Any, may_change_endpoint: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not may_change_endpoint:
            # Disabled fields keep their initial value whatever is posted (Django ignores it).
            for name in ENDPOINT_FIELDS:
                self.fields[name].disabled = True
            self.fields["environment"].help_text = ENDPOINT_ADMIN_ONLY

    @classmethod
    def initial_for(cls, account: CdiscountAccount) -> dict[str, Any]:
        """The form's initial values from the account, without the secret."""
        return {
            name: getattr(account, name)
            for name in cls.base_fields
            if name not in {"client_secret", "clear_client_secret"}
        }

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("client_secret") and data.get("clear_client_secret"):
            self.add_error("clear_client_secret", "Enter a new secret or clear it, not both.")
        if data.get("environment") == Environment.CUSTOM:
            for name in ("custom_api_base_url", "custom_token_url"):
                if name not in self.errors and not data.get(name):
                    self.add_error(name, "Needed for the Custom URL environment.")
        return data

    def changes(self) -> dict[str, Any]:
        """The values to hand to account_update_settings (the clear flag goes separately)."""
        return {name: value for name, value in self.cleaned_data.items() if name != "clear_client_secret"}

    def section(self, names: tuple[str, ...]) -> list[forms.BoundField]:
        return [self[name] for name in names]

    def credentials_fields(self) -> list[forms.BoundField]:
        return self.section(self.CREDENTIALS)

    def orders_fields(self) -> list[forms.BoundField]:
        return self.section(self.ORDERS)

    def fulfillment_fields(self) -> list[forms.BoundField]:
        return self.section(self.FULFILLMENT)


class CarrierMappingForm(_Form):
    """One row of the carrier mapping: a select of Cdiscount's carriers when GET /carriers
    answered, free text otherwise."""

    carrier = forms.CharField(label="Our carrier", max_length=100, required=False)
    cdiscount_carrier = forms.CharField(label="Cdiscount carrier", max_length=100, required=False)
    tracking_url_template = forms.CharField(
        label="Tracking URL template", max_length=500, required=False, help_text="With {tracking_number}"
    )

    def __init__(self, *args: Any, carrier_labels: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if carrier_labels:
            current = self.initial.get("cdiscount_carrier") or ""
            labels = sorted(set(carrier_labels) | ({current} if current else set()))
            self.fields["cdiscount_carrier"].widget = forms.Select(
                choices=[("", "---------")] + [(x, x) for x in labels]
            )

    def clean_tracking_url_template(self) -> str:
        template: str = self.cleaned_data["tracking_url_template"]
        if template and "{tracking_number}" not in template:
            raise forms.ValidationError("Put {tracking_number} where the number goes.")
        if template:
            _http_url(template.replace("{tracking_number}", "0"))
        return template

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.cleaned_data.get("DELETE"):
            return data
        if data.get("carrier") and not data.get("cdiscount_carrier"):
            self.add_error("cdiscount_carrier", "Choose the Cdiscount carrier.")
        if data.get("cdiscount_carrier") and not data.get("carrier"):
            self.add_error("carrier", "Enter our carrier name.")
        return data


class BaseCarrierMappingFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        names = [f.cleaned_data.get("carrier", "").casefold() for f in self.forms if self._kept(f)]
        names = [n for n in names if n]
        if len(names) != len(set(names)):
            raise forms.ValidationError("A carrier is mapped twice: keep one row per carrier.")

    @staticmethod
    def _kept(form: forms.Form) -> bool:
        return bool(getattr(form, "cleaned_data", None)) and not form.cleaned_data.get("DELETE")

    def rows(self) -> list[CarrierRow]:
        """The mapping to save: every kept, non-empty row."""
        return [
            CarrierRow(
                f.cleaned_data["carrier"], f.cleaned_data["cdiscount_carrier"], f.cleaned_data["tracking_url_template"]
            )
            for f in self.forms
            if self._kept(f) and f.cleaned_data.get("carrier")
        ]


CarrierMappingFormSet = forms.formset_factory(
    CarrierMappingForm, formset=BaseCarrierMappingFormSet, extra=2, can_delete=True, max_num=50
)


def carrier_initial(account: CdiscountAccount) -> list[Mapping[str, Any]]:
    if account.pk is None:
        return []
    return list(account.carrier_mappings.values("carrier", "cdiscount_carrier", "tracking_url_template"))


class DownloadOrdersForm(_Form):
    """Actions > Download Orders: optional From / To dates (company time zone). Without dates it
    is an ordinary run; with dates a backfill that never moves the watermark (SPEC S6)."""

    date_from = BoundedDateField(label="From", required=False)
    date_to = BoundedDateField(label="To", required=False)

    def __init__(self, *args: Any, time_zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = ZoneInfo(time_zone)  # the dates are the company's days, not the server's

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError("From must be on or before To.")
        if start and start > timezone.localdate(timezone=self.zone):
            self.add_error("date_from", "From cannot be in the future.")
        return data

    def window(self) -> tuple[datetime | None, datetime | None]:
        """The dates as a window in the company's time zone: From 00:00 to the end of To (at most now)."""
        zone = self.zone
        start: date | None = self.cleaned_data.get("date_from")
        end: date | None = self.cleaned_data.get("date_to")
        if start is None and end is None:
            return None, None
        now = timezone.now()
        date_from = datetime.combine(start, time.min, zone) if start else None
        date_to = datetime.combine(end + timedelta(days=1), time.min, zone) if end else now
        return date_from, min(date_to, now)


class DownloadOrderByIdForm(_Form):
    """Actions > Download Order by ID."""

    channel_order_id = forms.CharField(label="Cdiscount order ID", max_length=64)

    def clean_channel_order_id(self) -> str:
        value: str = self.cleaned_data["channel_order_id"].strip()
        if not re.fullmatch(r"[A-Za-z0-9_-]+", value):
            raise forms.ValidationError("Letters, digits, - and _ only, as on the Cdiscount seller portal.")
        return value


class _AccountChoiceField(IdModelChoiceField):
    def label_from_instance(self, obj: Company) -> str:
        return f"Cdiscount — {obj.name}"


class SyncLogFilterForm(_Form):
    """The Sync Log filters, read from the URL so a filtered view can be bookmarked."""

    company = _AccountChoiceField(
        label="Account", queryset=Company.objects.none(), required=False, empty_label="All accounts"
    )
    kind = forms.ChoiceField(label="Kind", choices=[("", "All kinds"), *SyncRun.Kind.choices], required=False)
    status = forms.ChoiceField(label="Status", choices=[("", "All statuses"), *SyncRun.Status.choices], required=False)
    days = forms.IntegerField(
        label="Timeline (days)",
        min_value=1,
        max_value=MAX_DAYS,
        required=False,
        error_messages={"min_value": DAYS_MESSAGE, "max_value": DAYS_MESSAGE, "invalid": DAYS_MESSAGE},
        widget=forms.NumberInput(attrs={"placeholder": str(DEFAULT_DAYS)}),
    )

    def __init__(self, *args: Any, companies: QuerySet[Company], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        company_field = self.fields["company"]
        assert isinstance(company_field, _AccountChoiceField)
        company_field.queryset = companies

    def filter_qs(self, runs: QuerySet[SyncRun]) -> QuerySet[SyncRun]:
        """The runs the filters select; nothing when a filter is not valid (e.g. another company)."""
        if not self.is_valid():
            return runs.none()
        data = self.cleaned_data
        if data["company"]:
            runs = runs.filter(account__company=data["company"])
        if data["kind"]:
            runs = runs.filter(kind=data["kind"])
        if data["status"]:
            runs = runs.filter(status=data["status"])
        return runs

    def timeline_days(self) -> int:
        """The timeline's span: the valid value asked for, else the default (its error is shown)."""
        if not self.is_bound or not self.is_valid():
            return DEFAULT_DAYS
        return self.cleaned_data.get("days") or DEFAULT_DAYS


class GapBackfillForm(_Form):
    """Backfill this gap: the span the timeline showed, to the microsecond (ISO 8601, UTC)."""

    start = forms.DateTimeField()
    end = forms.DateTimeField()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start >= end:
            raise forms.ValidationError("The gap's start must be before its end.")
        if end and end > timezone.now() + timedelta(minutes=1):
            raise forms.ValidationError("A gap cannot end in the future.")
        return data

    def span(self) -> Span:
        return Span(self.cleaned_data["start"], self.cleaned_data["end"])


class FailedUploadsRetryForm(_Form):
    """Failed Uploads > Retry upload: the checked packages, or all of the account's failed ones."""

    scope = forms.ChoiceField(choices=[("selected", "Selected"), ("all", "All")], initial="selected")
    # Any id is taken here (sellercloud.inputs): the service only retries this account's Failed packages.
    package_ids = IdListField(required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("scope") == "selected" and not data.get("package_ids"):
            raise forms.ValidationError("Select at least one package, or retry all of them.")
        return data

    def chosen_ids(self) -> list[int] | None:
        """The package ids to retry; None means all of the account's failed uploads."""
        return None if self.cleaned_data["scope"] == "all" else self.cleaned_data["package_ids"]


class FailedInvoiceUploadsRetryForm(FailedUploadsRetryForm):
    """Failed Uploads > Retry invoice upload: the checked invoices, or all the failed ones."""

    # The same choice, on invoice uploads: the service only retries this account's Failed ones.
    package_ids = None  # type: ignore[assignment]
    upload_ids = IdListField(required=False)

    def clean(self) -> dict[str, Any]:
        self.cleaned_data["package_ids"] = self.cleaned_data.get("upload_ids")
        try:
            return super().clean()
        except forms.ValidationError:
            raise forms.ValidationError("Select at least one invoice, or retry all of them.") from None


class RefuseOrderForm(forms.Form):
    """Refuse Order asks why: the reason stays in our history (Cdiscount takes none)."""

    reason = forms.CharField(
        label="Reason",
        max_length=255,
        help_text="Kept in the order's history; Cdiscount does not take a reason. The order will be Canceled.",
        widget=forms.TextInput(attrs={"size": 60}),
    )
