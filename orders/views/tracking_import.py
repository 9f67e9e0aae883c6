"""Manage Orders > Actions > Import Tracking (SPEC S8): upload a CSV of shipments, follow the import
in the background, read each row's result.

The POST checks the file as a whole (a bad file: a message, nothing changed), keeps it as a job
and redirects to the job's page; a Celery task ships the rows (orders.tracking_import_jobs). The
page polls its progress with htmx and, once the job is done, shows the report, kept with the job:
it can be read again later from the Import Tracking page. A job is its owner's only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from sellercloud.http import AuthenticatedHttpRequest
from sellercloud.models import User
from sellercloud.permissions import Permission

from .. import dispatch
from ..filters import order_scope
from ..forms import TrackingImportForm
from ..models import TrackingImportJob, TrackingImportRow
from ..tracking_import import TrackingImportError
from ..tracking_import_jobs import (
    tracking_import_job_fail_if_stale,
)

REPORT_PAGE_ROWS = 500
RECENT_JOBS = 10
# What the page shows as the file's shape (the columns orders.tracking_import reads).
SAMPLE = (
    "Order ID,Channel Order ID,Carrier,Tracking Number,Ship Date\n"
    "1234,,La Poste Colissimo,6A12345678901,2026-03-31\n"
    ",2603311234ABCD,Chronopost,XY123456789FR,31/03/2026"
)


def _importer(request: AuthenticatedHttpRequest) -> User:
    """The user, once they may process orders in at least one company (403 otherwise)."""
    user: User = request.user
    if not order_scope(user, Permission.PROCESS_ORDERS).companies:
        raise PermissionDenied("You need the “Process orders” permission in a company to import tracking.")
    return user


def _job(request: AuthenticatedHttpRequest, job_id: int) -> TrackingImportJob:
    """The user's own job, its stale heartbeat (a killed worker) turned into Failed; 404 otherwise."""
    user = _importer(request)
    job = TrackingImportJob.objects.filter(pk=job_id, user=user).defer("content").first()
    if job is None:
        raise Http404("No such import.")
    return tracking_import_job_fail_if_stale(job)


@login_required
def import_tracking(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The upload form and the user's recent imports (GET); the upload (POST, then the job's page)."""
    user = _importer(request)
    posted = request.method == "POST"
    form = TrackingImportForm(request.POST, request.FILES) if posted else TrackingImportForm()
    if posted:
        if form.is_valid():
            file = form.cleaned_data["file"]
            try:
                job = dispatch.tracking_import_start(file=file, user=user, name=file.name)
            except TrackingImportError as exc:
                messages.error(request, f"Nothing was imported: {exc}")
            else:
                return redirect("orders:import_tracking_job", job_id=job.pk)
        if form.errors:
            messages.error(
                request, "Nothing was imported: " + " ".join(map(str, form.errors.get("file", ["check the file."])))
            )
    recent = TrackingImportJob.objects.filter(user=user).defer("content")[:RECENT_JOBS]
    context: dict[str, Any] = {"title": "Import Tracking", "form": form, "sample": SAMPLE, "recent": recent}
    return render(request, "orders/tracking_import.html", context)


@login_required
@require_GET
def import_tracking_report(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The last import's page (the address the report had when it was kept in the session)."""
    user = _importer(request)
    job = TrackingImportJob.objects.filter(user=user).only("pk").first()
    if job is None:
        return redirect("orders:import_tracking")
    return redirect("orders:import_tracking_job", job_id=job.pk)


@login_required
@require_GET
def import_tracking_job(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    """An import's page: its progress while it runs; its report (each row's result) once it stops.

    The report is paged; `?show=errors` lists the rows that were not shipped.
    """
    job = _job(request, job_id)
    errors_only = request.GET.get("show") == "errors"
    rows = job.rows.all() if not errors_only else job.rows.filter(outcome=TrackingImportRow.Outcome.ERROR)
    page = (
        None if job.is_active else Paginator(rows.order_by("row"), REPORT_PAGE_ROWS).get_page(request.GET.get("page"))
    )
    context = {"title": "Import Tracking: report", "job": job, "page": page, "errors_only": errors_only}
    return render(request, "orders/tracking_import_job.html", context)


@login_required
@require_GET
def import_tracking_job_progress(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    """The progress panel, which the page asks for every second while the job runs. Once the job
    stops, htmx reloads the whole page (HX-Refresh), which then shows the report and stops asking."""
    job = _job(request, job_id)
    response = render(request, "orders/_tracking_import_progress.html", {"job": job})
    if not job.is_active and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def import_tracking_job_resume(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    """Resume a Failed import from the first row not done."""
    job = _job(request, job_id)
    if dispatch.tracking_import_resume(job=job):
        messages.success(request, f"Import resumed from row {job.next_row + 2}.")
    else:
        messages.error(request, "This import is not stopped: there is nothing to resume.")
    return redirect("orders:import_tracking_job", job_id=job.pk)
