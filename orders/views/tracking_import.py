"""Manage Orders > Actions > Import Tracking (SPEC S8): upload a CSV of shipments, see each row's result.

The POST imports (orders.tracking_import does the work, row by row) and redirects to the report,
kept in the session: reloading the report never imports the file a second time.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from sellercloud.models import User
from sellercloud.permissions import Permission

from ..filters import order_scope
from ..forms import TrackingImportForm
from ..tracking_import import RowOutcome, TrackingImportError, tracking_import

SESSION_KEY = "orders:tracking_import_report"
REPORT_ROWS_KEPT = 5000  # the counts cover every row; the session keeps this many rows' results
# What the page shows as the file's shape (the columns orders.tracking_import reads).
SAMPLE = (
    "Order ID,Channel Order ID,Carrier,Tracking Number,Ship Date\n"
    "1234,,La Poste Colissimo,6A12345678901,2026-03-31\n"
    ",2603311234ABCD,Chronopost,XY123456789FR,31/03/2026"
)


def _importer(request: HttpRequest) -> User:
    """The user, once they may process orders in at least one company (403 otherwise)."""
    user: User = request.user  # type: ignore[assignment]
    if not order_scope(user, Permission.PROCESS_ORDERS).companies:
        raise PermissionDenied("You need the “Process orders” permission in a company to import tracking.")
    return user


def _import(request: HttpRequest, form: TrackingImportForm, user: User) -> bool:
    """Run the import and keep its report for the report page; a bad file: a message, nothing changed."""
    file = form.cleaned_data["file"]
    try:
        report = tracking_import(file=file, user=user)
    except TrackingImportError as exc:
        messages.error(request, f"Nothing was imported: {exc}")
        return False
    rows = [{**asdict(r), "shipped": r.outcome == RowOutcome.SHIPPED} for r in report.rows[:REPORT_ROWS_KEPT]]
    request.session[SESSION_KEY] = {
        "file": file.name,
        "rows": rows,
        "total": len(report.rows),
        "shipped": report.shipped,
        "errors": report.errors,
    }
    return True


@login_required
def import_tracking(request: HttpRequest) -> HttpResponse:
    """The upload form (GET); the import (POST, then the report)."""
    user = _importer(request)
    posted = request.method == "POST"
    form = TrackingImportForm(request.POST, request.FILES) if posted else TrackingImportForm()
    if posted:
        if form.is_valid() and _import(request, form, user):
            return redirect("orders:import_tracking_report")
        if form.errors:
            messages.error(request, "Nothing was imported: " + " ".join(form.errors.get("file", ["check the file."])))
    context: dict[str, Any] = {"title": "Import Tracking", "form": form, "sample": SAMPLE}
    return render(request, "orders/tracking_import.html", context)


@login_required
@require_GET
def import_tracking_report(request: HttpRequest) -> HttpResponse:
    """The last import's report: each row's result, with the counts."""
    _importer(request)
    report = request.session.get(SESSION_KEY)
    if report is None:
        return redirect("orders:import_tracking")
    return render(request, "orders/tracking_import_report.html", {"title": "Import Tracking: report", "report": report})
