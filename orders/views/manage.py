"""Manage Orders (`/orders/`, SPEC S7): the grid, its filters in the URL, Saved Views, favourites.

Small function views, as in sellercloud.views: the query work lives in orders.filters (scope,
filters, search, paging) and orders.bulk (actions). Every view scopes to the user's companies
through `order_scope`, which asks `user_can` for each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.db.models import CharField, Value
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_POST

from sellercloud.dates import DATE_FORMAT, DATETIME_FORMAT
from sellercloud.http import AuthenticatedHttpRequest
from sellercloud.models import SavedView, User
from sellercloud.permissions import user_can

from .. import deadlines
from ..bulk import BULK_ACTIONS, bulk_actions_menu, bulk_favorite_toggle
from ..choices import Channel, OrderStatus, PaymentStatus, ShippingStatus
from ..filters import DEFAULT_SORT, OrderFilterForm, order_page, order_scope
from ..forms import SavedViewNameForm
from ..models import BulkActionFavorite, Order

# Columns of the grid (SPEC S7): label and sort key (orders.filters.SORT_FIELDS).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("Order ID", "id"),
    ("Channel", "channel"),
    ("Channel Order ID", "channel_order_id"),
    ("Company", "company"),
    ("Order Date", "order_date"),
    ("Customer", "customer"),
    ("Order Status", "status"),
    ("Payment Status", "payment_status"),
    ("Shipping Status", "shipping_status"),
    ("Ship Confirmed", "ship_confirmed"),
    ("Grand Total", "grand_total"),
    ("Ship By", "ship_by"),
)
# Newest, biggest and latest first on the first click; words A to Z.
DESCENDING_FIRST = frozenset({"id", "order_date", "grand_total", "ship_confirmed", "ship_by"})


@dataclass(frozen=True)
class Column:
    label: str
    url: str
    # aria-sort value: "ascending", "descending" or "none"
    sorted: str


@dataclass(frozen=True)
class GridRow:
    """One order of the grid, formatted in Python: at 50-200 rows a page, formatting in template
    tags ({% timezone %}, get_FOO_display, date filters) costed more than all the SQL."""

    pk: int
    url: str
    channel: str
    channel_order_id: str
    company: str
    order_date: str
    order_time: str  # the date and time, on hover: the grid shows the date
    customer: str
    status: str
    status_label: str
    payment_status: str
    shipping_status: str
    ship_confirmed: str
    grand_total: str
    ship_by: str


CHANNEL_LABELS = dict(Channel.choices)
# The grid writes the euro as its sign, to fit 1280 px; other currencies by their code.
CURRENCY_SIGNS = {"EUR": "€"}
STATUS_LABELS = dict(OrderStatus.choices)
PAYMENT_LABELS = dict(PaymentStatus.choices)
SHIPPING_LABELS = dict(ShippingStatus.choices)


def _grid_rows(orders: list[Order]) -> list[GridRow]:
    """Dates in each company's time zone (SPEC S4), labels in Sellercloud's words."""
    zones: dict[str, ZoneInfo] = {}
    rows = []
    for order in orders:
        zone = zones.get(order.company.time_zone) or zones.setdefault(
            order.company.time_zone, ZoneInfo(order.company.time_zone)
        )
        rows.append(
            GridRow(
                pk=order.pk,
                url=order_detail_url(order.pk),
                channel=CHANNEL_LABELS.get(order.channel, order.channel),
                channel_order_id=order.channel_order_id,
                company=order.company.name,
                order_date=order.order_date.astimezone(zone).strftime(DATE_FORMAT),
                order_time=order.order_date.astimezone(zone).strftime(DATETIME_FORMAT),
                customer=order.customer_name,
                status=order.status,
                status_label=STATUS_LABELS.get(order.status, order.status),
                payment_status=PAYMENT_LABELS.get(order.payment_status, order.payment_status),
                shipping_status=SHIPPING_LABELS.get(order.shipping_status, order.shipping_status),
                ship_confirmed=order.ship_confirmed_at.astimezone(zone).strftime(DATE_FORMAT)
                if order.ship_confirmed_at
                else "",
                grand_total=f"{order.grand_total} {CURRENCY_SIGNS.get(order.currency, order.currency)}",
                ship_by=order.ship_by.astimezone(zone).strftime(DATE_FORMAT) if order.ship_by else "",
            )
        )
    return rows


# Every grid fits 1280 px without scrolling sideways (issue 24): long names are cut with the
# whole text on hover, and the Company column shows only to a user with several companies.
ROW_HTML = (
    '<tr><td class="check"><input type="checkbox" name="ids" value="{pk}" aria-label="Select order {pk}" '
    'data-mo-check></td><th scope="row"><a href="{url}">{pk}</a></th><td>{channel}</td>'
    '<td class="mono">{channel_order_id}</td>{company_cell}<td class="nowrap" title="{order_time}">{order_date}</td>'
    '<td class="cut" title="{customer}">{customer}</td>'
    '<td><span class="status mo-status-{status}">{status_label}</span></td>'
    '<td class="wrap">{payment_status}</td><td class="wrap">{shipping_status}</td>'
    '<td class="nowrap">{ship_confirmed}</td>'
    '<td class="num">{grand_total}</td><td class="nowrap">{ship_by}</td></tr>'
)
COMPANY_CELL = '<td class="cut" title="{0}">{0}</td>'
NOT_CONFIRMED = mark_safe('<span class="muted">No</span>')  # noqa: S308 (a constant)


def _grid_body(rows: list[GridRow], *, with_company: bool) -> SafeString:
    """The grid's rows as HTML, every value escaped by format_html (markup in a name is text).

    Written here rather than in the template: 50 to 200 rows of 13 cells through template
    variable lookups took longer than the SQL of the page (SPEC S11 asks under 60 ms a page).
    """
    return format_html_join(
        "\n",
        ROW_HTML,
        (
            {
                **row.__dict__,
                "ship_confirmed": row.ship_confirmed or NOT_CONFIRMED,
                "company_cell": format_html(COMPANY_CELL, row.company) if with_company else "",
            }
            for row in rows
        ),
    )


def _filter_widgets(form: OrderFilterForm) -> dict[str, object]:
    """The filter inputs' options with what is selected, from the raw query string.

    Rendered by hand in the template rather than through Django's widget templates, which cost
    about 20 ms a page for these few fields (SPEC S11: the whole page should take less).
    """
    data = form.data

    def options(name: str, choices: Sequence[tuple[object, str]]) -> list[tuple[str, str, bool]]:
        chosen = set(data.getlist(name))
        return [(str(value), label, str(value) in chosen) for value, label in choices]

    return {
        "channel": options("channel", Channel.choices),
        "company": options("company", [(c.pk, c.name) for c in form.companies]),
        "status": options("status", OrderStatus.choices),
        "payment_status": options("payment_status", PaymentStatus.choices),
        "shipping_status": options("shipping_status", ShippingStatus.choices),
        "date_from": data.get("date_from", ""),
        "date_to": data.get("date_to", ""),
        "ship_by": options("ship_by", deadlines.CHOICES[1:]),
        "q": data.get("q", ""),
        "sort": data.get("sort", ""),
    }


@dataclass(frozen=True)
class ActionEntry:
    """An entry of the searchable bulk Actions menu, ready for the template."""

    key: str
    label: str
    favorite: bool
    disabled_reason: str
    url: str = ""  # an action with its own page (Import Tracking) is a link, not a form button


def order_detail_url(order_id: int) -> str:
    """Order Details; its URL arrives with a colleague's page, so fall back to the fixed path."""
    try:
        return reverse("orders:detail", args=[order_id])
    except NoReverseMatch:
        return f"/orders/{order_id}/"


def _columns(request: AuthenticatedHttpRequest, current: str, *, with_company: bool) -> list[Column]:
    columns = []
    for label, key in COLUMNS:
        if key == "company" and not with_company:
            continue
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


def _menus(user: User) -> tuple[list[SavedView], set[str]]:
    """The user's Saved Views and starred actions in ONE query (a UNION): the page stays within
    its budget of SQL queries (SPEC S11: at most 8, the shell and the session included)."""
    text: CharField[str, str] = CharField()
    views = (
        SavedView.objects.filter(user=user)
        .order_by()
        .values_list("pk", "name", "query", Value("view", output_field=text))
    )
    favorites = (
        BulkActionFavorite.objects.filter(user=user)
        .order_by()
        .values_list("pk", "action", Value("", output_field=text), Value("favorite", output_field=text))
    )
    saved, starred = [], set()
    for pk, name, query, kind in views.union(favorites, all=True):
        if kind == "view":
            saved.append(SavedView(pk=pk, user=user, name=name, query=query))
        else:
            starred.add(name)
    saved.sort(key=lambda v: v.name.lower())
    return saved, starred


def _action_entries(user: User, companies: list, starred: set[str]) -> list[ActionEntry]:
    entries = []
    for action, favorite in bulk_actions_menu(starred):
        allowed = any(user_can(user, action.permission, c) for c in companies)
        reason = "" if allowed else f"You need the “{action.permission.label}” permission in a company."
        url = reverse(action.url_name) if action.url_name else ""
        entries.append(ActionEntry(action.key, action.label, favorite, reason, url))
    return entries


@login_required
def order_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The Manage Orders grid: filters and search from the query string, one page of orders."""
    user: User = request.user
    scope = order_scope(user)
    form = OrderFilterForm(request.GET, companies=scope.companies)
    orders = form.filter_qs(scope.orders)
    page = order_page(
        orders, ordering=form.ordering(), number=form.page_number, per_page=form.page_size, **form.cursors
    )
    if page.cursor_refused:
        messages.warning(request, f"That page link is no longer valid: showing page {page.number} instead.")
    saved_views, starred = _menus(user)
    rows = _grid_rows(page.orders)
    with_company = len(scope.companies) > 1
    body = _grid_body(rows, with_company=with_company)
    return render(
        request,
        "orders/order_list.html",
        {
            "title": "Manage Orders",
            "form": form,
            "filters": _filter_widgets(form),
            "page": page,
            "rows": rows,
            "grid_body": body,
            "columns": _columns(request, form.sort_key, with_company=with_company),
            "filter_query": form.filter_query(),
            "saved_views": saved_views,
            "action_entries": _action_entries(user, scope.companies, starred),
            "is_default_sort": form.sort_key == DEFAULT_SORT,
        },
    )


# --- Saved Views ----------------------------------------------------------------------------------


@login_required
@require_POST
def saved_view_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Name the current filters (the `query` field holds them) as a Saved View of this user."""
    form = SavedViewNameForm(request.POST)
    # Keep only what the filter form reads, so a saved view never carries stray parameters.
    query = QueryDict(request.POST.get("query", ""))
    filters = OrderFilterForm(query, companies=[]).filter_query()
    if not form.is_valid():
        messages.error(request, " ".join(map(str, form.errors["name"])))
        return redirect(f"{reverse('orders:list')}?{filters}")
    name = form.cleaned_data["name"]
    try:
        with transaction.atomic():
            SavedView.objects.create(user=request.user, name=name, query=filters)
    except IntegrityError:
        messages.error(request, f"You already have a view named “{name}”: choose another name or delete it first.")
    else:
        messages.success(request, f"Saved view “{name}” created.")
    return redirect(f"{reverse('orders:list')}?{filters}")


@login_required
def saved_view_open(request: AuthenticatedHttpRequest, view_id: int) -> HttpResponse:
    """Open a Saved View: the grid with its filters. Another user's view answers 404."""
    view = get_object_or_404(SavedView, pk=view_id, user=request.user)
    return redirect(f"{reverse('orders:list')}?{view.query}")


@login_required
@require_POST
def saved_view_delete(request: AuthenticatedHttpRequest, view_id: int) -> HttpResponse:
    view = get_object_or_404(SavedView, pk=view_id, user=request.user)
    view.delete()
    messages.success(request, f"Saved view “{view.name}” deleted.")
    return redirect(f"{reverse('orders:list')}?{request.POST.get('query', '')}")


# --- Favourite actions ----------------------------------------------------------------------------


@login_required
@require_POST
def bulk_favorite(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Star or unstar a bulk action (it then stays on top of this user's Actions menu)."""
    action = request.POST.get("action", "")
    if action not in BULK_ACTIONS:
        raise Http404("No such action.")
    bulk_favorite_toggle(user=request.user, action=action)
    return redirect(f"{reverse('orders:list')}?{request.POST.get('query', '')}")
