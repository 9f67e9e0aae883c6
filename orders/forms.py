"""Forms of the Order Details actions (SPEC S8).

They parse what a user typed (a number, a date, a choice) and nothing more: the business rules
(more than 0, not above what is refundable, not in the future, tracking format, ...) are checked
by the services in orders.services, whose OrderRuleError messages the views show. So a rule is
never restated here. Amounts are parsed by orders.money.MoneyField, whose rule (what a money
column holds) the services check again.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django import forms

from sellercloud.inputs import BoundedDateField, IdListField, IdModelChoiceField

from .choices import RefundMethod
from .models import Order, Payment
from .money import MoneyField
from .payments import refundable_amount
from .services import ADDRESS_FIELDS, ADDRESS_LABELS, company_today
from .tracking_import import MAX_BYTES


class ReasonForm(forms.Form):
    """Set Cancelled Internally, Set On Hold: one reason."""

    reason = forms.CharField(max_length=255, widget=forms.TextInput(attrs={"size": 60}))


# Free text posted without a form page of its own (the bulk confirmation, Release Hold from the
# menu) still goes through a CharField: it refuses the NUL character, which PostgreSQL cannot store.
_TEXT_ERRORS = {
    "null_characters_not_allowed": "The text holds a NUL character, which cannot be stored: type it again.",
    "max_length": "Keep the text to %(limit_value)d characters or fewer (it has %(show_value)d).",
}


class BulkActionForm(forms.Form):
    """A Manage Orders bulk action's selection and text (the action and its target are the view's)."""

    ids = IdListField(required=False)
    text = forms.CharField(required=False, max_length=255, error_messages=_TEXT_ERRORS)


class ReleaseHoldForm(forms.Form):
    """Release Hold from the Actions menu: an optional note."""

    note = forms.CharField(required=False, error_messages=_TEXT_ERRORS)


class SavedViewNameForm(forms.Form):
    """Save the current filters as a view: its name (cut to the column's 100 characters)."""

    name = forms.CharField(error_messages={**_TEXT_ERRORS, "required": "Give the view a name."})

    def clean_name(self) -> str:
        return str(self.cleaned_data["name"])[:100]


class NoteForm(forms.Form):
    """Add Note, Resolve Problem: one text."""

    text = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))


class PaymentChoiceField(IdModelChoiceField):
    def label_from_instance(self, obj: Payment) -> str:
        refundable = refundable_amount(payment=obj)
        return f"{obj.operation_type} ({obj.amount} {obj.currency} paid, {refundable} refundable)"


class RefundForm(forms.Form):
    """Issue Refund. The one-time `form_token` is generated when the form is first rendered, so
    the same form posted twice makes one refund (the service returns the first one)."""

    payment = PaymentChoiceField(queryset=Payment.objects.none(), label="Operation Type", empty_label=None)
    amount = MoneyField(label="Amount To Refund")
    refund_date = BoundedDateField(label="Refund Date")
    notes = forms.CharField(label="Notes", widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))
    refund_method = forms.ChoiceField(label="Refund Method", choices=[("", "—")] + RefundMethod.choices, required=False)
    reference_number = forms.CharField(label="Reference Number", max_length=100, required=False)
    form_token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, order: Order, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        payments = list(order.payments.prefetch_related("refunds"))
        payment_field = self.fields["payment"]
        assert isinstance(payment_field, PaymentChoiceField)
        payment_field.queryset = order.payments.all()
        # Default: the first payment with money left to refund, and all of what is left on it.
        refundable = {p.pk: refundable_amount(payment=p) for p in payments}
        first = next((p for p in payments if refundable[p.pk] > 0), payments[0] if payments else None)
        self.refundable = refundable
        self.initial.setdefault("payment", first.pk if first else None)
        self.initial.setdefault("amount", refundable[first.pk] if first else Decimal("0.00"))
        self.initial.setdefault("refund_date", company_today(order))
        self.initial.setdefault("form_token", uuid.uuid4())


class ShipForm(forms.Form):
    """Ship Order: one package. The tracking URL is filled from the account's carrier mapping
    when left empty (and live in the page by static/js/order-detail.js)."""

    carrier = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"list": "carrier-options"}))
    service = forms.CharField(max_length=100, required=False)
    # Plain text fields: the tracking rules (length, characters, http/https) are the service's.
    tracking_number = forms.CharField(
        label="Tracking number", max_length=200, help_text="Letters, digits and hyphens (-), at most 50."
    )
    tracking_url = forms.CharField(
        label="Tracking URL", max_length=500, required=False, help_text="http:// or https://, no spaces."
    )
    ship_date = BoundedDateField(label="Ship date")
    shipping_cost = MoneyField(label="Shipping cost", initial=Decimal("0.00"))

    def __init__(self, *args: Any, order: Order, templates: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.templates = templates  # our carrier name -> tracking URL template
        self.initial.setdefault("ship_date", company_today(order))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        template = self.templates.get(data.get("carrier", "").strip())
        if template and not data.get("tracking_url") and data.get("tracking_number"):
            data["tracking_url"] = template.replace("{tracking_number}", data["tracking_number"].strip())
        return data


class AddressForm(forms.Form):
    """Edit Shipping Address: the fields of orders.services.ADDRESS_FIELDS."""

    civility = forms.CharField(label=ADDRESS_LABELS["civility"], max_length=20, required=False)
    first_name = forms.CharField(label=ADDRESS_LABELS["first_name"], max_length=100, required=False)
    last_name = forms.CharField(label=ADDRESS_LABELS["last_name"], max_length=100, required=False)
    company = forms.CharField(label=ADDRESS_LABELS["company"], max_length=100, required=False)
    line1 = forms.CharField(label=ADDRESS_LABELS["line1"], max_length=200)
    line2 = forms.CharField(label=ADDRESS_LABELS["line2"], max_length=200, required=False)
    line3 = forms.CharField(label=ADDRESS_LABELS["line3"], max_length=200, required=False)
    postal_code = forms.CharField(label=ADDRESS_LABELS["postal_code"], max_length=20)
    city = forms.CharField(label=ADDRESS_LABELS["city"], max_length=100)
    region = forms.CharField(label=ADDRESS_LABELS["region"], max_length=100, required=False)
    country_code = forms.CharField(label=ADDRESS_LABELS["country_code"], max_length=2)

    def address(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name, "") for name in ADDRESS_FIELDS}


class TrackingImportForm(forms.Form):
    """Import Tracking (SPEC S8): one CSV file. Its size is checked here, before it is read;
    its content by orders.tracking_import."""

    file = forms.FileField(
        label="CSV file",
        help_text="At most 2 MB. Comma, semicolon or tab separated; UTF-8 or Excel's CSV.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        error_messages={"required": "Choose a CSV file to import.", "empty": "The file is empty."},
    )

    def clean_file(self) -> Any:
        file = self.cleaned_data["file"]
        if file.size > MAX_BYTES:
            size = file.size / 1024 / 1024
            raise forms.ValidationError(
                f"The file is too large ({size:.1f} MB): at most 2 MB. Split it into several files."
            )
        return file
