"""Company Settings > Toolbox > Return Settings: the company's list of return reasons."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from sellercloud.http import AuthenticatedHttpRequest
from sellercloud.inputs import parse_id
from sellercloud.models import Company
from sellercloud.permissions import Permission, company_for_user_or_404, user_can

from ..rules import OrderRuleError
from .reasons import return_reason_add, return_reason_set_hidden, return_reasons


class ReasonForm(forms.Form):
    name = forms.CharField(label="New reason", max_length=100)


def _company(request: AuthenticatedHttpRequest, company_id: int) -> Company:
    company = company_for_user_or_404(request.user, company_id)
    if not user_can(request.user, Permission.MANAGE_RMAS, company):
        raise PermissionDenied(f"You do not have the permission to manage RMAs in {company}.")
    return company


@login_required
def return_settings(request: AuthenticatedHttpRequest, company_id: int) -> HttpResponse:
    """The reasons in their order, hidden ones too, with Add; POST adds one."""
    company = _company(request, company_id)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reason = return_reason_add(company=company, name=form.cleaned_data["name"])
        except OrderRuleError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Return reason “{reason.name}” added.")
            return redirect("rma_settings:return_settings", company_id=company.pk)
    context = {"title": f"Return Settings — {company.name}", "company": company, "form": form,
               "reasons": return_reasons(company, include_hidden=True)}  # fmt: skip
    return render(request, "orders/return_settings.html", context)


@login_required
@require_POST
def return_reason_toggle(request: AuthenticatedHttpRequest, company_id: int) -> HttpResponse:
    """Hide a reason from Create RMA, or show it again."""
    company = _company(request, company_id)
    reason_id = parse_id(request.POST.get("reason", ""))
    try:
        reason = return_reason_set_hidden(
            company=company, reason_id=reason_id or 0, hidden=request.POST.get("hidden") == "1"
        )
    except OrderRuleError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"“{reason.name}” is {'hidden' if reason.hidden else 'offered again'}.")
    return redirect("rma_settings:return_settings", company_id=company.pk)
