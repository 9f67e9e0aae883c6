"""Manage RMAs (`/rmas/`, issue 22): the grid of RMAs, filters and search in the URL, sortable
columns, numbered pages without an exact total, in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse

from sellercloud.http import AuthenticatedHttpRequest

from ..choices import Channel
from ..filters import order_scope
from ..models import RMA
from ..rma_choices import ReceivedStatus, Resolution, RMAStatus
from .filters import RMAFilterForm, rma_page

# Label and sort key (orders.rma.filters.SORT_FIELDS) of each column.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("RMA #", "number"),
    ("Order ID", "order"),
    ("Channel", "channel"),
    ("Channel Order ID", "channel_order_id"),
    ("Company", "company"),
    ("Customer", "customer"),
    ("Created", "created"),
    ("RMA Status", "status"),
    ("Received Status", "received_status"),
)
DESCENDING_FIRST = frozenset({"number", "order", "created"})


@dataclass(frozen=True)
class Column:
    label: str
    url: str
    sorted: str  # aria-sort: "ascending", "descending" or "none"


@dataclass(frozen=True)
class GridRow:
    """One RMA of the grid, formatted here (dates in its company's time zone, Sellercloud's words)."""

    rma: RMA
    url: str
    order_url: str
    channel: str
    created: str
    expected: int
    received: int


def _rows(rmas: list[RMA]) -> list[GridRow]:
    channels = dict(Channel.choices)
    return [
        GridRow(
            rma=rma,
            url=reverse("rmas:detail", args=[rma.pk]),
            order_url=reverse("orders:detail", args=[rma.order_id]),
            channel=str(channels.get(rma.order.channel, rma.order.channel)),
            created=rma.created_at.astimezone(ZoneInfo(rma.company.time_zone)).strftime("%d/%m/%Y %H:%M"),
            expected=getattr(rma, "expected", 0),
            received=getattr(rma, "received", 0),
        )
        for rma in rmas
    ]


def _columns(request: AuthenticatedHttpRequest, current: str) -> list[Column]:
    columns = []
    for label, key in COLUMNS:
        params = request.GET.copy()
        params.pop("page", None)
        if current == key:
            params["sort"], state = f"-{key}", "ascending"
        elif current == f"-{key}":
            params["sort"], state = key, "descending"
        else:
            params["sort"], state = (f"-{key}" if key in DESCENDING_FIRST else key), "none"
        columns.append(Column(label, f"?{params.urlencode()}", state))
    return columns


def _options(form: RMAFilterForm, name: str, choices: Sequence[tuple[object, str]]) -> list[tuple[str, str, bool]]:
    chosen = set(form.data.getlist(name))
    return [(str(value), str(label), str(value) in chosen) for value, label in choices]


@login_required
def rma_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Manage RMAs: the RMAs of the companies where the user may view orders."""
    scope = order_scope(request.user)
    rmas = RMA.objects.filter(company_id__in=scope.company_ids)
    form = RMAFilterForm(request.GET, companies=scope.companies)
    page = rma_page(form.filter_qs(rmas), ordering=form.ordering(), number=form.page_number, per_page=form.page_size)
    filters = {
        "status": _options(form, "status", RMAStatus.choices),
        "received_status": _options(form, "received_status", ReceivedStatus.choices),
        "resolution": _options(form, "resolution", Resolution.choices),
        "channel": _options(form, "channel", Channel.choices),
        "company": _options(form, "company", [(c.pk, c.name) for c in scope.companies]),
    }
    context = {
        "title": "Manage RMAs",
        "form": form,
        "filters": filters,
        "page": page,
        "rows": _rows(page.orders),
        "columns": _columns(request, form.sort_key),
    }
    return render(request, "orders/rma_list.html", context)
