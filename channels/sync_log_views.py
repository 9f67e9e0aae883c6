"""The Sync Log pages: the runs of the user's accounts, one run with its problems, its progress,
and Retry of a problem (SPEC S6, S7). Order data on them needs View orders."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from sellercloud.http import AuthenticatedHttpRequest
from sellercloud.permissions import user_companies
from sellercloud.shell import MenuItem

from . import services
from .forms import (
    SyncLogFilterForm,
)
from .ledger_views import account_ledgers
from .models import SyncProblem, SyncRun
from .run_orders import orders_touched
from .views import may_manage, may_view_orders, require_view_orders

NO_PERMISSION = "Needs the Manage channel permission for this company."
# Orders, tracking numbers and raw payloads (customer names and addresses) are order data: the
# View orders permission guards them here as on Order Details (issue 14).
NO_VIEW_ORDERS = "Needs the View orders permission for this company."
NO_CREDENTIALS = "Enter the Client ID and Client Secret first (Edit)."
RUNS_PER_PAGE = 50
FAILED_PER_PAGE = 100
CHANGES_SHOWN = 50


def _runs_for(request: AuthenticatedHttpRequest) -> Any:
    """The runs this user may see: only their companies' accounts (SPEC S3)."""
    companies = user_companies(request.user)
    return SyncRun.objects.filter(account__company__in=companies).select_related("account__company", "user")


def _run_context(request: AuthenticatedHttpRequest, run: SyncRun) -> dict[str, Any]:
    """A run's page. Without View orders: the counts, the window and the error, but not the
    problems (orders, raw payloads with customer names and addresses) nor the log (order ids)."""
    company = run.account.company
    can_view_orders = may_view_orders(request, company)
    problems = list(run.problems.all()) if can_view_orders else []
    for problem in problems:
        # Pretty-printed here once; the template shows it as text (autoescaped). Not a model field.
        problem.pretty_payload = json.dumps(problem.raw_payload, indent=2, ensure_ascii=False, sort_keys=True)  # type: ignore[attr-defined]
    hidden_problems = 0 if can_view_orders else run.problems.count()
    return {"run": run, "company": company, "tz": company.time_zone, "problems": problems,
            "can_manage": may_manage(request, company), "can_view_orders": can_view_orders,
            "hidden_problems": hidden_problems, "no_view_orders": NO_VIEW_ORDERS,
            "orders_touched": orders_touched(run) if can_view_orders else []}  # fmt: skip


# --- Sync Log ---------------------------------------------------------------------------------


@login_required
def sync_log(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every run of the user's accounts, newest first, filtered by account, kind and status."""
    companies = user_companies(request.user)
    form = SyncLogFilterForm(request.GET or None, companies=companies.order_by("name"))
    runs = form.filter_qs(_runs_for(request)) if request.GET else _runs_for(request)
    page = Paginator(runs, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    chosen = form.cleaned_data.get("company") if form.is_bound and form.is_valid() else None
    ledgers = account_ledgers(request, companies.filter(pk=chosen.pk) if chosen else companies,
                              days=form.timeline_days())  # fmt: skip
    return render(request, "channels/sync_log.html",
                  {"title": "Sync Log", "form": form, "page": page, "querystring": params.urlencode(),
                   "ledgers": ledgers, "days": form.timeline_days()})  # fmt: skip


@login_required
def sync_run(request: AuthenticatedHttpRequest, run_id: int) -> HttpResponse:
    """One run: window, counts, duration, error, log and its problems; live while it runs."""
    run = get_object_or_404(_runs_for(request), pk=run_id)
    context = _run_context(request, run)
    context["title"] = f"Sync Run {run.pk} — {run.get_kind_display()} — {run.account.company.name}"
    context["actions"] = [MenuItem("Back to Sync Log", reverse("sync_log") + f"?company={run.account.company_id}")]
    return render(request, "channels/sync_run.html", context)


@login_required
def sync_run_progress(request: AuthenticatedHttpRequest, run_id: int) -> HttpResponse:
    """The run's body alone, polled every 2 s while the run is active (it stops once finished)."""
    run = get_object_or_404(_runs_for(request), pk=run_id)
    return render(request, "channels/_sync_run_body.html", _run_context(request, run))


@login_required
@require_POST
def sync_problem_retry(request: AuthenticatedHttpRequest, problem_id: int) -> HttpResponse:
    """Retry one failed order: download it again now; resolved once it imports."""
    companies = user_companies(request.user)
    problem = get_object_or_404(SyncProblem.objects.select_related("run__account__company"),
                                pk=problem_id, run__account__company__in=companies)  # fmt: skip
    if not may_manage(request, problem.run.account.company):
        raise PermissionDenied(NO_PERMISSION)
    require_view_orders(request, problem.run.account.company)  # its message repeats the problem's
    if problem.resolved_at is not None:
        messages.info(request, f"Order {problem.channel_order_id} was already imported: nothing to retry.")
    else:
        _report_retry(request, problem, services.sync_problem_retry(problem=problem, user=request.user))
    return redirect("sync_run", run_id=problem.run_id)


def _report_retry(request: AuthenticatedHttpRequest, problem: SyncProblem, run: SyncRun | None) -> None:
    order = problem.channel_order_id
    if run is None:
        messages.warning(request, f"A download of this account is running: retry order {order} when it ends.")
    elif run.status == SyncRun.Status.COMPLETED:
        messages.success(request, f"Order {order} imported: the problem is resolved (run {run.pk}).")
    else:
        latest = run.problems.order_by("-id").first()
        reason = run.error or (latest.message if latest else run.get_status_display())
        messages.error(request, f"Retry of order {order} failed (run {run.pk}): {reason}")
