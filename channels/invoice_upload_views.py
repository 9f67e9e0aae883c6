"""Failed Uploads > Retry invoice upload (issue 21): a thin view over channels.dispatch."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from sellercloud.http import AuthenticatedHttpRequest

from . import dispatch
from .forms import FailedInvoiceUploadsRetryForm
from .views import _managed_account, require_view_orders


@login_required
@require_POST
def cdiscount_failed_invoice_uploads_retry(request: AuthenticatedHttpRequest, company_id: int) -> HttpResponse:
    """The chosen failed invoice uploads (or all) become Pending and an invoice upload run is queued."""
    company, account = _managed_account(request, company_id, saved=True)
    require_view_orders(request, company)
    back = reverse("cdiscount_failed_uploads", args=[company.pk]) + "#invoices"
    form = FailedInvoiceUploadsRetryForm(request.POST)
    if not form.is_valid():
        reasons = " ".join(str(error) for errors in form.errors.values() for error in errors)
        messages.error(request, f"Nothing was retried: {reasons or 'choose the invoices to retry.'}")
        return redirect(back)
    result = dispatch.invoice_uploads_retry_failed(account=account, by=request.user, upload_ids=form.chosen_ids())
    if not result.count:
        messages.info(request, "Nothing to retry: none of these invoice uploads is failed any more.")
        return redirect(back)
    run = result.run or result.running
    assert run is not None  # invoices were set back: a run was queued or was already going
    doing = "queued for upload in" if result.run else "an invoice upload is already running; they go with the run after"
    messages.success(request, format_html(
        '{} invoice(s) set back to Pending (Cdiscount is read before any post), {} <a href="{}">run {}</a>.',
        result.count, doing, reverse("sync_run", args=[run.pk]), run.pk,
    ))  # fmt: skip
    return redirect(back)
