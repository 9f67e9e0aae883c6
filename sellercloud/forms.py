"""Forms of the core pages: company details, employees, the per-company permission grid, and the
password reset request."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.sites.shortcuts import get_current_site
from django.db import transaction
from django.http import HttpRequest

from .db import model_field
from .inputs import IdField
from .models import Company, Membership, Permission, User
from .services import COMPANY_CREATE_FIELDS, COMPANY_EDITABLE_FIELDS
from .tasks import password_reset_send_task


class PasswordResetRequestForm(PasswordResetForm):
    """Password reset: the request enqueues one task, whatever the email; the worker looks the
    email up and sends the mail (`services.password_reset_send`).

    Django's form looks users up and sends the mail inside the request, so a known email took
    visibly longer than an unknown one and told which addresses have an account. Here both do the
    same work in the request: no lookup, one task enqueued once the transaction commits.
    """

    # The keywords PasswordResetView passes, not all of Django's positional parameters (their
    # templates, token generator and sender are the worker's business).
    def save(  # type: ignore[override]
        self, domain_override: str | None = None, use_https: bool = False, request: HttpRequest | None = None, **_: Any
    ) -> None:
        # The view's other options (templates, token generator, sender) are Django's defaults,
        # which the worker's form uses as well.
        email = self.cleaned_data["email"]
        domain = domain_override or get_current_site(request).domain
        transaction.on_commit(lambda: password_reset_send_task.delay(email, domain, use_https))


LOGO_MAX_BYTES = 1024 * 1024


class CompanyForm(forms.ModelForm):
    """Company details on Company Settings (Client Admins only)."""

    class Meta:
        model = Company
        fields = COMPANY_EDITABLE_FIELDS
        widgets = {"invoice_footer": forms.Textarea(attrs={"rows": 3})}

    def clean_logo(self) -> Any:
        # Printed on every invoice: a small PNG or JPEG is plenty, and a large one slows each print.
        logo = self.cleaned_data.get("logo")
        if logo and getattr(logo, "size", 0) > LOGO_MAX_BYTES:
            raise forms.ValidationError("The logo must be at most 1 MB (a PNG or JPEG of a few hundred pixels).")
        return logo


class CompanyCreateForm(forms.ModelForm):
    """Add Company: what a company needs to take orders; its legal details come on Edit."""

    class Meta:
        model = Company
        fields = COMPANY_CREATE_FIELDS


class EmployeeCreateForm(forms.ModelForm):
    """A new Employee: who they are and their initial password (they can change it later)."""

    password = forms.CharField(
        label="Initial password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )

    class Meta:
        model = User
        fields = ("username", "first_name", "last_name", "email")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Password reset goes by email, so an employee without one could never reset.
        self.fields["email"].required = True
        self.fields["first_name"].required = True
        self.fields["last_name"].required = True

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        candidate = User(
            username=self.data.get("username", ""),
            first_name=self.data.get("first_name", ""),
            last_name=self.data.get("last_name", ""),
            email=self.data.get("email", ""),
        )
        password_validation.validate_password(password, candidate)
        return password


class UserEditForm(forms.ModelForm):
    """Name, email and role of an existing user."""

    class Meta:
        model = User
        fields = ("first_name", "last_name", "email", "is_client_admin")


class MembershipGridForm(forms.Form):
    """One row per company: "Assigned" plus one checkbox per permission of SPEC S3.

    Field names are `c<company id>_assigned` and `c<company id>_<permission value>`; `rows` groups
    the bound fields per company for the template, and `grants()` returns what was ticked.
    """

    def __init__(
        self,
        *args: Any,
        companies: Iterable[Company],
        memberships: Iterable[Membership] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.companies = list(companies)
        current = {m.company_id: m for m in memberships}
        for company in self.companies:
            membership = current.get(company.pk)
            self.fields[f"c{company.pk}_assigned"] = forms.BooleanField(
                label=f"Assigned to {company.name}", required=False, initial=membership is not None
            )
            for permission in Permission:
                if membership is not None:
                    initial = membership.grants(permission)
                else:
                    # A new assignment starts with the model's defaults (View orders).
                    initial = model_field(Membership, permission.value).default
                self.fields[f"c{company.pk}_{permission.value}"] = forms.BooleanField(
                    label=f"{permission.label} in {company.name}", required=False, initial=initial
                )

    @staticmethod
    def permissions() -> list[Permission]:
        return list(Permission)

    @property
    def rows(self) -> list[tuple[Company, forms.BoundField, list[forms.BoundField]]]:
        return [
            (
                company,
                self[f"c{company.pk}_assigned"],
                [self[f"c{company.pk}_{permission.value}"] for permission in Permission],
            )
            for company in self.companies
        ]

    def grants(self) -> dict[Company, set[Permission]]:
        """The ticked permissions of each assigned company (call after is_valid())."""
        data = self.cleaned_data
        return {
            company: {p for p in Permission if data.get(f"c{company.pk}_{p.value}")}
            for company in self.companies
            if data.get(f"c{company.pk}_assigned")
        }


class CompanySwitchForm(forms.Form):
    """The top bar's company switcher."""

    company = IdField(label="Company")
    next = forms.CharField(required=False)
