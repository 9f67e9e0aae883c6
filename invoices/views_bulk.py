"""Bulk Print Invoices: the job's progress page (and its JSON for the polling), its PDF."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from sellercloud.http import AuthenticatedHttpRequest

from .bulk_print import bulk_print_pdf, bulk_print_status


@login_required
@require_GET
def bulk_print_job(request: AuthenticatedHttpRequest, job_id: str) -> HttpResponse:
    status = bulk_print_status(job_id, user=request.user)
    if status is None:
        raise Http404("No such job.")
    status["download_url"] = reverse("bulk_print_pdf", args=[job_id]) if status["printed"] else ""
    if request.GET.get("format") == "json":
        return JsonResponse(status)
    return render(request, "invoices/bulk_print_job.html", {"title": f"{status['label']}: progress", "status": status})


@login_required
@require_GET
def bulk_print_download(request: AuthenticatedHttpRequest, job_id: str) -> FileResponse:
    found = bulk_print_pdf(job_id, user=request.user)
    if found is None:
        raise Http404("No such PDF: the job is unknown, not finished, printed nothing, or is over a day old.")
    pdf, filename = found
    return FileResponse(pdf, as_attachment=True, filename=filename, content_type="application/pdf")
