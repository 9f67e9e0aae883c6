"""The dashboard: the home page after login (issue 23). Thin: orders.dashboard reads it all."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from sellercloud.http import AuthenticatedHttpRequest
from sellercloud.shell import current_company

from ..dashboard import dashboard_for
from ..filters import order_scope

NO_VIEW_ORDERS = "You may not view orders of {name}: the dashboard shows your other companies."


@login_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The current company's dashboard, or every company the user may view orders of (?all=1)."""
    companies = order_scope(request.user).companies  # where they may view orders
    company = current_company(request)
    all_companies = request.GET.get("all") == "1" or company is None
    if not all_companies and company not in companies:
        assert company is not None
        messages.info(request, NO_VIEW_ORDERS.format(name=company.name))
        all_companies = True
    chosen = companies if all_companies else [c for c in companies if c == company]
    data = dashboard_for(companies=chosen, all_companies=all_companies)
    title = "Dashboard — all your companies" if all_companies else f"Dashboard — {chosen[0].name}"
    context = {
        "title": title,
        "d": data,
        "company": company,
        "several": len(companies) > 1,
        "charts_seconds": settings.DASHBOARD_CHARTS_SECONDS,
    }
    return render(request, "orders/dashboard.html", context)  # fmt: skip
