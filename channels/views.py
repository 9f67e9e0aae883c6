"""Cdiscount General Settings with its Actions, the run progress page, the Sync Log (issue #6),
Upload Fulfillment Now and the Failed Uploads page (issue #9).

Small function views: GET renders, every state change is a POST that validates a form, calls one
service, adds a message and redirects. Company scoping and the Manage channel permission go
through sellercloud.permissions only: outside the user's companies everything is 404; inside,
a user without Manage channel reads and gets 403 on every change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import OuterRef, QuerySet, Subquery
from django.forms import Form
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from orders.choices import EventKind
from orders.models import OrderEvent, Package
from sellercloud.dates import DATETIME_FORMAT
from sellercloud.http import AuthenticatedHttpRequest
from sellercloud.models import Company
from sellercloud.permissions import Permission, company_for_user_or_404, user_can
from sellercloud.shell import MenuItem, toolbox_for

from . import account_services, account_status, dispatch, invoice_upload, services, upload
from .forms import (
    CarrierMappingFormSet,
    CdiscountSettingsForm,
    DownloadOrderByIdForm,
    DownloadOrdersForm,
    FailedUploadsRetryForm,
    carrier_initial,
)
from .models import CdiscountAccount

NO_PERMISSION = "Needs the Manage channel permission for this company."
# Orders, tracking numbers and raw payloads (customer names and addresses) are order data: the
# View orders permission guards them here as on Order Details (issue 14).
NO_VIEW_ORDERS = "Needs the View orders permission for this company."
NO_CREDENTIALS = "Enter the Client ID and Client Secret first (Edit)."
RUNS_PER_PAGE = 50
FAILED_PER_PAGE = 100
CHANGES_SHOWN = 50


# --- Helpers ----------------------------------------------------------------------------------


def _company_account(request: AuthenticatedHttpRequest, company_id: int) -> tuple[Company, CdiscountAccount]:
    """The user's company (else 404) and its account; an unsaved one when none exists yet."""
    company = company_for_user_or_404(request.user, company_id)
    account = CdiscountAccount.objects.filter(company=company).first() or CdiscountAccount(company=company)
    return company, account


def may_manage(request: AuthenticatedHttpRequest, company: Company) -> bool:
    return user_can(request.user, Permission.MANAGE_CHANNEL, company)


def may_view_orders(request: AuthenticatedHttpRequest, company: Company) -> bool:
    return user_can(request.user, Permission.VIEW_ORDERS, company)


def require_view_orders(request: AuthenticatedHttpRequest, company: Company) -> None:
    """403 for a page of order data (the company is theirs, so no 404 to hide)."""
    if not may_view_orders(request, company):
        raise PermissionDenied(NO_VIEW_ORDERS)


def _managed_account(
    request: AuthenticatedHttpRequest, company_id: int, *, saved: bool = False
) -> tuple[Company, CdiscountAccount]:
    """Like _company_account, for changes: 403 without Manage channel; 404 when `saved` and no account."""
    company, account = _company_account(request, company_id)
    if not may_manage(request, company):
        raise PermissionDenied(NO_PERMISSION)
    if saved and account.pk is None:
        raise Http404("This company has no Cdiscount account yet: save its General Settings first.")
    return company, account


def _local(value: datetime | None, company: Company) -> str:
    if value is None:
        return "—"
    return timezone.localtime(value, ZoneInfo(company.time_zone)).strftime(DATETIME_FORMAT)


def _actions(request: AuthenticatedHttpRequest, company: Company, account: CdiscountAccount) -> list[MenuItem]:
    """The Actions menu of General Settings; what cannot be done is shown disabled with why."""
    reason = "" if may_manage(request, company) else NO_PERMISSION
    if not reason and account.pk is None:
        reason = "Save the settings first."
    upload_reason = reason or ("" if account.client_id and account.client_secret else NO_CREDENTIALS)
    ids = [company.pk]
    log_url = reverse("sync_log") + (f"?company={company.pk}" if account.pk else "")
    return [
        MenuItem("Get Token", reverse("cdiscount_get_token", args=ids), method="post", disabled_reason=reason),
        MenuItem("Download Orders", reverse("cdiscount_download", args=ids), disabled_reason=reason),
        MenuItem("Download Order by ID", reverse("cdiscount_download_order", args=ids), disabled_reason=reason),
        MenuItem(
            "Upload Fulfillment Now",
            reverse("cdiscount_upload", args=ids),
            method="post",
            disabled_reason=upload_reason,
        ),  # fmt: skip
        MenuItem(
            "Failed Uploads",
            reverse("cdiscount_failed_uploads", args=ids),
            disabled_reason=(
                ("" if account.pk else "Save the settings first.")
                if may_view_orders(request, company)
                else NO_VIEW_ORDERS
            ),
        ),  # fmt: skip
        # Read-only at Cdiscount: no confirmation needed.
        MenuItem("Reconcile", reverse("cdiscount_reconcile", args=ids), method="post", disabled_reason=upload_reason),
        MenuItem(
            "Reconciliation",
            reverse("cdiscount_reconciliation", args=ids),
            disabled_reason=("" if account.pk else "Save the settings first.")
            if may_view_orders(request, company)
            else NO_VIEW_ORDERS,
        ),  # fmt: skip
        MenuItem("View Sync Log", log_url),
    ]


def _page(
    request: AuthenticatedHttpRequest, template: str, company: Company, account: CdiscountAccount, **extra: Any
) -> HttpResponse:
    """Render a General Settings page with the shell's Toolbox and Actions."""
    context = {
        "company": company,
        "account": account,
        "toolbox": toolbox_for(request, company),
        "actions": _actions(request, company, account),
        "can_manage": may_manage(request, company),
        "can_view_orders": may_view_orders(request, company),
        "tz": company.time_zone,
        **extra,
    }
    return render(request, template, context)


def _errors_into(form: Form, error: ValidationError) -> None:
    """A service's ValidationError shown on the form (field errors where the field exists)."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _saved_message(update: account_services.SettingsUpdate, account: CdiscountAccount) -> str:
    if not update.changed:
        return "Nothing changed: the settings are as they were."
    message = "Cdiscount settings saved."
    if update.secret_cleared:
        message += " " + account_services.SECRET_CLEARED
    if update.backfill and update.backfill.run:
        message += (
            f" Allow UnPaid Order is on: a download of the last {account.lookback_days} days started "
            f"(run {update.backfill.run.pk} in the Sync Log)."
        )
    elif update.backfill and update.backfill.running:
        message += (
            f" Allow UnPaid Order is on, but a download is already running (run {update.backfill.running.pk}): "
            "use Actions > Download Orders with dates once it ends to fetch the look-back window."
        )
    return message


# --- General Settings -------------------------------------------------------------------------


@login_required
def cdiscount_settings(request: AuthenticatedHttpRequest, company_id: int) -> HttpResponse:
    """Company Settings > Toolbox > Cdiscount > General Settings (view mode, with the health card)."""
    company, account = _company_account(request, company_id)
    saved = account.pk is not None
    return _page(
        request,
        "channels/cdiscount_settings.html",
        company,
        account,
        title=f"Cdiscount General Settings — {company.name}",
        health=account_status.account_health(account=account) if saved else None,
        carrier_mappings=account.carrier_mappings.all() if saved else [],
        changes=account.settings_changes.select_related("user")[:CHANGES_SHOWN] if saved else [],
    )


@login_required
def cdiscount_settings_edit(request: AuthenticatedHttpRequest, company_id: int) -> HttpResponse:
    """General Settings > Edit, then Save / Cancel. Nothing is saved unless all of it is valid."""
    company, account = _managed_account(request, company_id)
    carriers = account_status.account_carriers(account=account)
    form, formset = _settings_forms(request, account, carriers)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            update = account_services.account_update_settings(
                account=account, by=request.user, changes=form.changes(),
                clear_client_secret=form.cleaned_data["clear_client_secret"], carrier_mappings=formset.rows(),
            )  # fmt: skip
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(request, _saved_message(update, account))
            return redirect("cdiscount_settings", company_id=company.pk)
    title = f"Edit Cdiscount General Settings — {company.name}"
    return _page(request, "channels/cdiscount_settings_edit.html", company, account, title=title, form=form,
                 formset=formset, carriers=carriers)  # fmt: skip


def _settings_forms(
    request: AuthenticatedHttpRequest, account: CdiscountAccount, carriers: account_status.CarrierChoices
) -> tuple[CdiscountSettingsForm, Any]:
    """The settings form and the carrier mapping rows, bound on POST."""
    data = request.POST if request.method == "POST" else None
    form = CdiscountSettingsForm(
        data,
        initial=CdiscountSettingsForm.initial_for(account),
        may_change_endpoint=account_services.may_change_endpoint(request.user),
    )
    formset = CarrierMappingFormSet(
        data, initial=carrier_initial(account), prefix="carriers", form_kwargs={"carrier_labels": carriers.labels}
    )
    return form, formset


@login_required
@require_POST
def cdiscount_get_token(request: AuthenticatedHttpRequest, company_id: int) -> HttpResponse:
    """Actions > Get Token: a new access token now; success with its expiry, or the marketplace's words."""
    company, account = _managed_account(request, company_id, saved=True)
    result = account_status.account_get_token(account=account, by=request.user)
    if result.ok:
        messages.success(
            request, f"Token received: it expires on {_local(result.expires_at, company)} ({company.time_zone})."
        )
    else:
        messages.error(request, f"Get Token failed: {result.message}")
    return redirect("cdiscount_settings", company_id=company.pk)


def _start_download(request: AuthenticatedHttpRequest, account: CdiscountAccount, **kwargs: Any) -> HttpResponse:
    """Queue the run (or find the one already going) and go to its progress page."""
    outcome = dispatch.download_request(account=account, user=request.user, **kwargs)
    if outcome.running is not None:
        messages.warning(
            request, f"A download of this account is already running (run {outcome.running.pk}): here is its progress."
        )
        return redirect("sync_run", run_id=outcome.running.pk)
    assert outcome.run is not None  # none was running: one was queued
    messages.success(request, f"Download started (run {outcome.run.pk}): its progress shows below.")
    return redirect("sync_run", run_id=outcome.run.pk)


@login_required
def cdiscount_download(request: AuthenticatedHttpRequest, company_id: int) -> HttpResponse:
    """Actions > Download Orders: optional From / To dates, then a background run with progress."""
    company, account = _managed_account(request, company_id, saved=True)
    form = DownloadOrdersForm(request.POST if request.method == "POST" else None, time_zone=company.time_zone)
    if request.method == "POST" and form.is_valid():
        date_from, date_to = form.window()
        return _start_download(request, account, date_from=date_from, date_to=date_to)
    active = services.download_active_run(account=account)
    return _page(request, "channels/cdiscount_download.html", company, account, form=form, active=active,
                 title=f"Download Orders — {company.name}", by_id=False)  # fmt: skip


@login_required
def cdiscount_download_order(request: AuthenticatedHttpRequest, company_id: int) -> HttpResponse:
    """Actions > Download Order by ID: one order, fetched again and applied in the background."""
    company, account = _managed_account(request, company_id, saved=True)
    form = DownloadOrderByIdForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        return _start_download(request, account, channel_order_id=form.cleaned_data["channel_order_id"])
    active = services.download_active_run(account=account)
    return _page(request, "channels/cdiscount_download.html", company, account, form=form, active=active,
                 title=f"Download Order by ID — {company.name}", by_id=True)  # fmt: skip


# --- Fulfillment upload -----------------------------------------------------------------------


@login_required
@require_POST
def cdiscount_upload(request: AuthenticatedHttpRequest, company_id: int) -> HttpResponse:
    """Actions > Upload Fulfillment Now: queue an upload run (or find the one going) and show its progress."""
    company, account = _managed_account(request, company_id, saved=True)
    if not (account.client_id and account.client_secret):
        messages.error(request, f"Upload Fulfillment Now: {NO_CREDENTIALS}")
        return redirect("cdiscount_settings", company_id=company.pk)
    outcome = dispatch.upload_request(account=account, user=request.user)
    if outcome.running is not None:
        messages.warning(
            request, f"An upload of this account is already running (run {outcome.running.pk}): here is its progress."
        )
        return redirect("sync_run", run_id=outcome.running.pk)
    assert outcome.run is not None  # none was running: one was queued
    messages.success(request, f"Upload started (run {outcome.run.pk}): its progress shows below.")
    return redirect("sync_run", run_id=outcome.run.pk)


def _failed_rows(account: CdiscountAccount) -> QuerySet[Package]:
    """The account's failed uploads, each with the time of its order's last upload event (its last attempt)."""
    last = OrderEvent.objects.filter(order_id=OuterRef("order_id"), kind=EventKind.UPLOAD).order_by("-created_at")
    return upload.failed_uploads(account=account).annotate(last_attempt_at=Subquery(last.values("created_at")[:1]))


@login_required
def cdiscount_failed_uploads(request: AuthenticatedHttpRequest, company_id: int) -> HttpResponse:
    """Failed Uploads: the packages Cdiscount refused, with its words; Retry upload (selected or all)."""
    company, account = _company_account(request, company_id)
    if account.pk is None:
        raise Http404("This company has no Cdiscount account yet.")
    require_view_orders(request, company)
    page = Paginator(_failed_rows(account), FAILED_PER_PAGE).get_page(request.GET.get("page"))
    invoices = Paginator(invoice_upload.failed_invoice_uploads(account=account), FAILED_PER_PAGE)
    pending = account_status.account_health(account=account).pending_uploads
    return _page(request, "channels/failed_uploads.html", company, account, page=page, pending=pending,
                 invoices=invoices.get_page(request.GET.get("invoices_page")),
                 title=f"Failed Uploads — Cdiscount — {company.name}")  # fmt: skip


@login_required
@require_POST
def cdiscount_failed_uploads_retry(request: AuthenticatedHttpRequest, company_id: int) -> HttpResponse:
    """Retry upload: the chosen failed packages (or all) become Pending and an upload run is queued."""
    company, account = _managed_account(request, company_id, saved=True)
    require_view_orders(request, company)
    form = FailedUploadsRetryForm(request.POST)
    if not form.is_valid():
        reasons = " ".join(str(error) for errors in form.errors.values() for error in errors)
        messages.error(request, f"Nothing was retried: {reasons or 'choose the packages to retry.'}")
        return redirect("cdiscount_failed_uploads", company_id=company.pk)
    result = dispatch.packages_retry_failed(account=account, by=request.user, package_ids=form.chosen_ids())
    _report_upload_retry(request, result)
    return redirect("cdiscount_failed_uploads", company_id=company.pk)


def _report_upload_retry(request: AuthenticatedHttpRequest, result: dispatch.PackageRetryRequest) -> None:
    if not result.count:
        messages.info(request, "Nothing to retry: none of these packages is failed any more.")
        return
    run = result.run or result.running
    assert run is not None  # packages were set back: a run was queued or was already going
    doing = "queued for upload in" if result.run else "an upload is already running; they go with the next run after"
    messages.success(request, format_html(
        '{} package(s) set back to Pending, {} <a href="{}">run {}</a>.',
        result.count, doing, reverse("sync_run", args=[run.pk]), run.pk,
    ))  # fmt: skip
