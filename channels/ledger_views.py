"""The Sync Log's import ledger: each account's coverage timeline with its gaps, and Backfill this
gap (issue 23). The ledger itself is channels.ledger; the drawing, channels.timeline."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from sellercloud.http import AuthenticatedHttpRequest
from sellercloud.models import Company
from sellercloud.permissions import user_companies

from . import dispatch, ledger
from .forms import GapBackfillForm
from .models import CdiscountAccount
from .timeline import Timeline, span_label, timeline
from .views import NO_PERMISSION, may_manage


@dataclass(frozen=True)
class GapRow:
    span: ledger.Span
    local: str  # in the company's time zone
    utc: str


@dataclass(frozen=True)
class AccountLedger:
    """One account's panel on the Sync Log."""

    account: CdiscountAccount
    coverage: ledger.Coverage
    drawing: Timeline
    gaps: list[GapRow]
    can_manage: bool
    tz: str


def account_ledgers(
    request: AuthenticatedHttpRequest, companies: QuerySet[Company], *, days: int
) -> list[AccountLedger]:
    """The coverage of each account of these companies (the user's own), by company name."""
    accounts = CdiscountAccount.objects.filter(company__in=companies).select_related("company")
    panels = []
    for account in accounts.order_by("company__name"):
        tz = ZoneInfo(account.company.time_zone)
        coverage = ledger.account_coverage(account=account, days=days)
        gaps = [GapRow(span=g, local=span_label(g, tz), utc=span_label(g, ZoneInfo("UTC"))) for g in coverage.gaps]
        drawing = timeline(coverage, tz)
        can_manage = may_manage(request, account.company)
        panels.append(AccountLedger(account=account, coverage=coverage, drawing=drawing, gaps=gaps,
                                    can_manage=can_manage, tz=account.company.time_zone))  # fmt: skip
    return panels


@login_required
@require_POST
def sync_gap_backfill(request: AuthenticatedHttpRequest, account_id: int) -> HttpResponse:
    """Backfill this gap: download exactly the span shown; its run's progress page follows."""
    account = get_object_or_404(
        CdiscountAccount.objects.select_related("company"), pk=account_id, company__in=user_companies(request.user)
    )
    if not may_manage(request, account.company):
        raise PermissionDenied(NO_PERMISSION)
    back = reverse("sync_log") + f"?company={account.company_id}"
    form = GapBackfillForm(request.POST)
    if not form.is_valid():
        reasons = " ".join(str(error) for errors in form.errors.values() for error in errors)
        messages.error(request, f"Nothing was started: {reasons}")
        return redirect(back)
    try:
        outcome = dispatch.gap_backfill_request(account=account, span=form.span(), user=request.user)
    except ValueError as error:
        messages.info(request, str(error))
        return redirect(back)
    if outcome.running is not None:
        messages.warning(request, f"A download of this account is running (run {outcome.running.pk}): "
                                  "backfill the gap once it ends, if it is still there.")  # fmt: skip
        return redirect("sync_run", run_id=outcome.running.pk)
    assert outcome.run is not None
    label = span_label(form.span(), ZoneInfo(account.company.time_zone))
    messages.success(request, f"Backfill of the gap {label} started (run {outcome.run.pk}).")
    return redirect("sync_run", run_id=outcome.run.pk)
