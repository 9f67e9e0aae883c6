"""Manage Orders bulk actions (SPEC S7): confirm, run, follow a background job, export CSV.

One POST endpoint takes the action and its target: the ticked orders (`ids`) or every order
matching the filters (`all=1` with the grid's `query`). A hold or release, and any action on all
filtered orders, first shows a confirmation that says how many orders it touches; the confirmed
POST (`confirmed=1`) runs it, in the request for a few orders, in the background for many.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.forms import Form
from django.http import Http404, HttpResponse, JsonResponse, QueryDict, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from sellercloud.http import AuthenticatedHttpRequest
from sellercloud.models import User

from .. import dispatch
from ..bulk import (
    BULK_ACTIONS,
    BulkAction,
    bulk_apply,
    bulk_inline_limit,
    bulk_job_status,
    orders_csv_lines,
)
from ..filters import OrderFilterForm, order_scope
from ..forms import BulkActionForm
from ..models import Order

# Fields of the filter form that choose a page, not orders: an error there changes no target.
PAGING_FIELDS = frozenset({"sort", "per_page", "page"})


def _target(
    request: AuthenticatedHttpRequest, action: BulkAction, ids: list[int]
) -> tuple[QuerySet[Order], OrderFilterForm, bool]:
    """The orders the action applies to, limited to the companies where the user may view orders
    and do it (orders.filters.order_scope)."""
    user: User = request.user
    scope = order_scope(user, action.permission)
    form = OrderFilterForm(QueryDict(request.POST.get("query", "")), companies=scope.companies)
    every = request.POST.get("all") == "1"
    orders = form.filter_qs(scope.orders) if every else scope.orders.filter(pk__in=ids)
    return orders, form, every


def _refusal(form: Form, names: Iterable[str] | None = None) -> str:
    """Why nothing was done: the form's own sentences, each after its field's label."""
    parts = []
    for name in names if names is not None else form.errors:
        label = form.fields[name].label if name in form.fields else None
        parts += [f"{label}: {error}" if label else str(error) for error in form.errors[name]]
    return "Nothing was done: " + " ".join(parts)


def _back(request: AuthenticatedHttpRequest) -> HttpResponse:
    return redirect(f"{reverse('orders:list')}?{request.POST.get('query', '')}")


@login_required
@require_POST
def bulk_action(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """Confirm, then run, a bulk action on the ticked or on all filtered orders."""
    action = BULK_ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        raise Http404("No such action.")
    if action.url_name:  # it acts on a file, not on the selection: its own page
        return redirect(action.url_name)
    posted = BulkActionForm(request.POST)
    if not posted.is_valid():
        messages.error(request, _refusal(posted))
        return _back(request)
    ids = posted.cleaned_data["ids"]
    orders, form, every = _target(request, action, ids)
    confirmed = request.POST.get("confirmed") == "1"
    if not every and not ids:
        messages.error(request, "Select at least one order, or choose all orders matching the filters.")
        return _back(request)
    if every and (unapplied := [name for name in form.errors if name not in PAGING_FIELDS]):
        # The grid showed these filters as not applied: acting on "all" would reach more orders.
        messages.error(
            request, f"{_refusal(form, unapplied)} Correct the filters before acting on all matching orders."
        )
        return _back(request)
    if not action.changes_orders and (confirmed or not every):
        return _export_csv(orders, form)
    count = orders.count()
    if action.max_orders and count > action.max_orders:
        messages.error(
            request,
            f"Nothing was done: “{action.label}” takes at most {action.max_orders} orders at once and "
            f"{count} are chosen. Narrow the filters or tick fewer orders.",
        )
        return _back(request)
    if action.start is not None and not every and not action.confirm_ticked:
        return _start(request, action, orders, form)
    text = posted.cleaned_data["text"].strip()
    if action.start is not None and confirmed:
        return _start(request, action, orders, form)
    if not confirmed or (action.asks_required and not text):
        if confirmed:
            messages.error(request, f"Give a {action.asks.lower()} for “{action.label}”.")
        return render(
            request,
            "orders/order_list_bulk_confirm.html",
            {
                "title": f"{action.label}: confirm",
                "action": action,
                "count": count,
                "every": every,
                "ids": ids,
                "query": request.POST.get("query", ""),
                "text": text,
            },
        )
    return _run(request, action, orders, count, text)


def _start(
    request: AuthenticatedHttpRequest, action: BulkAction, orders: QuerySet[Order], form: OrderFilterForm
) -> HttpResponse:
    """A higher app's background job (Bulk Print Invoices) on the orders, in the grid's order."""
    assert action.start is not None
    ids = list(orders.order_by(*form.ordering()).values_list("pk", flat=True))
    return redirect(action.start(request.user, ids))


def _run(
    request: AuthenticatedHttpRequest, action: BulkAction, orders: QuerySet[Order], count: int, text: str
) -> HttpResponse:
    user: User = request.user
    ids = list(orders.order_by("pk").values_list("pk", flat=True))
    if len(ids) > bulk_inline_limit():
        job_id = dispatch.bulk_job_start(action=action.key, order_ids=ids, user=user, text=text)
        return redirect("orders:bulk_job", job_id=job_id)
    result = bulk_apply(action=action.key, order_ids=ids, user=user, text=text)
    summary = f"{action.label}: {result.changed} of {result.total} orders changed"
    if result.unchanged:
        summary += f", {result.unchanged} already so"
    messages.success(request, summary + ".")
    for order_id, reason in result.failed[:10]:
        messages.error(request, f"Order {order_id}: {reason}")
    return _back(request)


def _export_csv(orders: QuerySet[Order], form: OrderFilterForm) -> StreamingHttpResponse:
    """Stream the orders as CSV, in the grid's order, a chunk of rows at a time."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        orders_csv_lines(orders, ordering=form.ordering()), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="orders-{stamp}.csv"'
    return response


@login_required
@require_GET
def bulk_job(request: AuthenticatedHttpRequest, job_id: str) -> HttpResponse:
    """A background bulk job's progress: the page, or its JSON for the page's polling."""
    status = bulk_job_status(job_id, user=request.user)
    if status is None:
        raise Http404("No such job.")
    if request.GET.get("format") == "json":
        return JsonResponse(status)
    return render(
        request,
        "orders/order_list_bulk_job.html",
        {"title": f"{status['label']}: progress", "status": status},
    )
