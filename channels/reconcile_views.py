"""Reconciliation pages (issue 23): Actions > Reconcile, the runs with their counts, a run's
differences with a fix per row. The rows name orders: View orders is needed to see them."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from orders.rules import OrderRuleError
from sellercloud.http import AuthenticatedHttpRequest
from sellercloud.permissions import user_can, user_companies

from . import dispatch, reconcile
from .models import Drift, SyncRun
from .reconcile_fixes import FIX_OF, drift_fix
from .views import NO_CREDENTIALS, _company_account, _managed_account, _page, require_view_orders

RUNS_SHOWN = 20


@login_required
@require_POST
def cdiscount_reconcile(request: AuthenticatedHttpRequest, company_id: int) -> HttpResponse:
    """Actions > Reconcile: queue a reconciliation (or find the one going) and show its progress."""
    company, account = _managed_account(request, company_id, saved=True)
    if not (account.client_id and account.client_secret):
        messages.error(request, f"Reconcile: {NO_CREDENTIALS}")
        return redirect("cdiscount_settings", company_id=company.pk)
    outcome = dispatch.reconcile_request(account=account, user=request.user)
    if outcome.running is not None:
        messages.warning(request, f"A reconciliation of this account is already running (run {outcome.running.pk}).")
        return redirect("sync_run", run_id=outcome.running.pk)
    assert outcome.run is not None
    messages.success(request, f"Reconciliation started (run {outcome.run.pk}): its progress shows below.")
    return redirect("sync_run", run_id=outcome.run.pk)


@login_required
def cdiscount_reconciliation(request: AuthenticatedHttpRequest, company_id: int) -> HttpResponse:
    """The account's reconciliations with their counts, and one run's open differences."""
    company, account = _company_account(request, company_id)
    if account.pk is None:
        raise Http404("This company has no Cdiscount account yet.")
    require_view_orders(request, company)
    runs = list(account.sync_runs.filter(kind=SyncRun.Kind.RECONCILE).annotate(found=Count("drifts"))[:RUNS_SHOWN])
    chosen = _chosen_run(request, runs) or reconcile.latest_reconciliation(account)
    drifts = reconcile.open_drifts(chosen) if chosen else []
    rows = [(d, FIX_OF[Drift.Kind(d.kind)], user_can(request.user, FIX_OF[Drift.Kind(d.kind)].permission, company))
            for d in drifts]  # fmt: skip
    return _page(request, "channels/reconciliation.html", company, account, runs=runs, chosen=chosen, rows=rows,
                 counts=reconcile.drift_counts(chosen) if chosen else {},
                 title=f"Reconciliation — Cdiscount — {company.name}")  # fmt: skip


def _chosen_run(request: AuthenticatedHttpRequest, runs: Sequence[SyncRun]) -> SyncRun | None:
    wanted = request.GET.get("run", "")
    if not wanted:
        return None
    found = next((run for run in runs if str(run.pk) == wanted), None)
    if found is None:
        messages.error(request, "No such reconciliation among this account's recent runs: the latest is shown.")
    return found


@login_required
@require_POST
def reconcile_drift_fix(request: AuthenticatedHttpRequest, drift_id: int) -> HttpResponse:
    """One row's fix (its permission, and View orders); then back to the run's differences."""
    drift = get_object_or_404(
        Drift.objects.select_related("run__account__company", "order", "package", "refund"),
        pk=drift_id,
        run__account__company__in=user_companies(request.user),
    )
    company = drift.run.account.company
    require_view_orders(request, company)
    fix = FIX_OF[Drift.Kind(drift.kind)]
    if not user_can(request.user, fix.permission, company):
        raise PermissionDenied(f"{fix.label} needs the {fix.permission.label} permission for this company.")
    back = reverse("cdiscount_reconciliation", args=[company.pk]) + f"?run={drift.run_id}"
    if drift.resolved_at is not None or not reconcile.still_open([drift]):
        messages.info(request, f"Order {drift.channel_order_id}: already fixed, nothing to do.")
        return redirect(back)
    try:
        result = drift_fix(drift=drift, by=request.user, data=request.POST.dict())
    except OrderRuleError as error:
        messages.error(request, f"{fix.label} of order {drift.channel_order_id}: {error}")
    else:
        getattr(messages, result.level)(request, result.message)
    return redirect(back)
