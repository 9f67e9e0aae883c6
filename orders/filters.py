"""Manage Orders: which orders a user may see, the filter form, the search box and the paging.

The page is built to stay fast at a million orders (SPEC S7, S11):

- Scoping: only the companies where `user_can(VIEW_ORDERS)`; when that is every company (a
  Client Admin) no company condition is added at all, so the channel and date indexes serve the
  query alone (an index-only scan for the ids of a page).
- Search: one box. Exact on Order ID, Channel Order ID, SKU and tracking number; substring on the
  customer name and prefix on the customer reference. The matches are gathered as a UNION of
  small indexed lookups (B-tree for the exact ones, trigram GIN on PostgreSQL for the names, see
  migration 0005) rather than one OR over joined tables, which no index can serve.
- Paging: numbered pages without an exact total. A page is one query: the rows whose id is in the
  page's slice of ids (`WHERE id IN (SELECT id ... ORDER BY ... LIMIT n OFFSET m)`): the inner
  query reads only the index, so page 2000 costs an index walk, not 100,000 row fetches. Next and
  Previous carry a cursor instead and read from it (orders.keyset), whatever the depth. One row
  more than the page is read to know whether a next page exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone

from sellercloud.inputs import BoundedDateField, coerce_id, parse_id
from sellercloud.models import Company, User
from sellercloud.permissions import Permission, user_can

from . import deadlines
from .choices import Channel, OrderStatus, PaymentStatus, ShippingStatus
from .keyset import CursorRefused, cursor_of, cursor_read, keyset_supported, rows_after
from .models import Order, OrderItem, Package
from .text import search_text

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
# Far beyond any real use, and it keeps OFFSET arithmetic sane for a hand-edited URL.
MAX_PAGE = 1_000_000
# Query-string keys that are not filters: a saved view and the bulk "all filtered" keep the rest.
NON_FILTER_KEYS = frozenset({"page", "after", "before"})

# Sortable columns: URL key -> model field. Every ordering ends with the id in the same direction,
# so pages are stable and the default (-order_date, -id) matches the indexes exactly.
SORT_FIELDS: dict[str, str] = {
    "id": "id",
    "channel": "channel",
    "channel_order_id": "channel_order_id",
    "company": "company__name",
    "order_date": "order_date",
    "customer": "customer_name",
    "status": "status",
    "payment_status": "payment_status",
    "shipping_status": "shipping_status",
    "ship_confirmed": "ship_confirmed_at",
    "grand_total": "grand_total",
    "ship_by": "ship_by",
}
DEFAULT_SORT = "-order_date"
# What a grid row reads (SPEC S7 columns), the company's name and time zone included.
GRID_FIELDS = (
    "id",
    "channel",
    "channel_order_id",
    "order_date",
    "customer_name",
    "status",
    "payment_status",
    "shipping_status",
    "ship_confirmed_at",
    "grand_total",
    "currency",
    "ship_by",
    "company__name",
    "company__time_zone",
)


# --- Scope --------------------------------------------------------------------------------------


def user_can_act_on_orders(user: User, permission: Permission, company: Company | int) -> bool:
    """`permission` on orders of `company`, which needs View orders there too: what a user cannot
    open, they cannot change in bulk either."""
    return user_can(user, Permission.VIEW_ORDERS, company) and user_can(user, permission, company)


@dataclass(frozen=True)
class OrderScope:
    """What one user may see on Manage Orders: the companies, and the orders of those companies."""

    companies: list[Company]
    orders: QuerySet[Order]

    @property
    def company_ids(self) -> set[int]:
        return {c.pk for c in self.companies}


def order_scope(user: User, permission: Permission = Permission.VIEW_ORDERS) -> OrderScope:
    """The companies where `user` may view orders and has `permission`, and their orders only.

    View orders is always needed: an action on orders (a bulk hold, say) never reaches an order
    its user could not open (issue 14). Every company is read once and each is asked through
    `user_can` (SPEC S3: one function decides). When the user may see them all, the queryset
    carries no company condition, which keeps the page queries on their best indexes.
    """
    every_company = list(Company.objects.order_by("name"))
    allowed = [c for c in every_company if user_can_act_on_orders(user, permission, c)]
    orders = Order.objects.all()
    if len(allowed) != len(every_company):
        orders = orders.filter(company_id__in=[c.pk for c in allowed])
    return OrderScope(companies=allowed, orders=orders)


# --- Search ---------------------------------------------------------------------------------------


def search_q(term: str) -> Q:
    """The search box (SPEC S7) as one condition: the order's id is among the matches.

    Exact: Order ID, Channel Order ID, SKU, tracking number. Substring: customer name, accents
    and case aside (terms without digits). Prefix: customer reference. Each part is its own indexed lookup; their
    UNION is small, and the outer query then applies the filters and the sort.
    """
    term = term.strip()
    parts = [
        Order.objects.filter(channel_order_id=term).values("pk"),
        OrderItem.objects.filter(sku=term).values("order_id"),
        Package.objects.filter(tracking_number=term).values("order_id"),
        Order.objects.filter(customer_reference__istartswith=term).values("pk"),
    ]
    if not any(char.isdigit() for char in term):
        # A term with a digit is an id, a SKU, a tracking number or a reference, not part of a
        # name; and the trigrams of long digit strings match nearly every row's reference-like
        # text, which would make the name lookup the slowest part of an id search.
        # Accents and case aside (orders.text): "Emilie" finds Émilie.
        parts.append(Order.objects.filter(search_name__contains=search_text(term)).values("pk"))
    if (order_id := parse_id(term)) is not None:  # ASCII digits that fit a bigint: maybe an Order ID
        parts.append(Order.objects.filter(pk=order_id).values("pk"))
    # Model orderings are dropped: a compound statement cannot sort its parts.
    first, *rest = (part.order_by() for part in parts)
    return Q(pk__in=first.union(*rest))


# --- Filter form ----------------------------------------------------------------------------------


class OrderFilterForm(forms.Form):
    """The Manage Orders filters, read from the query string (pretix's FilterForm.filter_qs).

    `companies` are the ones the user may see: the Company filter offers only those, and any other
    value (a URL forced to another company's id) is refused and shows no orders at all.
    """

    data: QueryDict  # always a query string: request.GET, or the one a bulk action or saved view carries

    channel = forms.MultipleChoiceField(
        label="Channel", choices=Channel.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    company = forms.TypedChoiceField(label="Company", coerce=coerce_id, required=False, empty_value=None)
    status = forms.MultipleChoiceField(
        label="Order Status",
        choices=OrderStatus.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    payment_status = forms.MultipleChoiceField(
        label="Payment Status",
        choices=PaymentStatus.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    shipping_status = forms.MultipleChoiceField(
        label="Shipping Status",
        choices=ShippingStatus.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    date_from = BoundedDateField(label="Order Date from", required=False)
    date_to = BoundedDateField(label="Order Date to", required=False)
    ship_by = forms.ChoiceField(label="Ship By", choices=deadlines.CHOICES, required=False)
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Order ID, channel order ID, customer, SKU, tracking #"}
        ),
    )
    sort = forms.CharField(required=False, widget=forms.HiddenInput)
    per_page = forms.TypedChoiceField(
        label="Rows per page",
        coerce=int,
        choices=[(n, str(n)) for n in PAGE_SIZES],
        required=False,
        empty_value=DEFAULT_PAGE_SIZE,  # type: ignore[arg-type]  # django-stubs says str; Django takes any value
    )
    page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False, widget=forms.HiddenInput)
    # Next / Previous: the cursor of the row the page starts after / ends before (orders.keyset).
    after = forms.CharField(required=False, max_length=400, widget=forms.HiddenInput)
    before = forms.CharField(required=False, max_length=400, widget=forms.HiddenInput)

    def __init__(self, *args: Any, companies: list[Company], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.companies = companies
        company_field = self.fields["company"]
        assert isinstance(company_field, forms.ChoiceField)
        company_field.choices = [("", "All companies")] + [(c.pk, c.name) for c in companies]

    def _value(self, name: str) -> Any:
        """A field's cleaned value, or its empty value when it is missing or invalid."""
        data = getattr(self, "cleaned_data", {})
        return data.get(name) if self.is_bound else None

    # The query, piece by piece --------------------------------------------------------------

    def filter_qs(self, qs: QuerySet[Order]) -> QuerySet[Order]:
        """`qs` narrowed by every valid filter; empty when the company asked for is not allowed."""
        self.is_valid()  # fills cleaned_data with the valid fields; errors are shown on the page
        if "company" in self.errors:
            return qs.none()
        data = self.cleaned_data
        if data.get("channel"):
            qs = qs.filter(channel__in=data["channel"])
        if data.get("company"):
            qs = qs.filter(company_id=data["company"])
        for name in ("status", "payment_status", "shipping_status"):
            if data.get(name):
                qs = qs.filter(**{f"{name}__in": data[name]})
        tz = self.date_time_zone()
        if data.get("date_from"):
            qs = qs.filter(order_date__gte=datetime.combine(data["date_from"], time.min, tzinfo=tz))
        if data.get("date_to"):
            # The whole last day: before the next midnight in the same time zone.
            qs = qs.filter(order_date__lt=datetime.combine(data["date_to"] + timedelta(days=1), time.min, tzinfo=tz))
        if data.get("ship_by"):
            qs = qs.filter(deadlines.deadline_q(data["ship_by"], now=timezone.now(), tz=tz))
        if data.get("q", "").strip():
            qs = qs.filter(search_q(data["q"]))
        return qs

    def date_time_zone(self) -> ZoneInfo:
        """Dates are read in the chosen company's time zone, else the installation's (Paris)."""
        company_id = self._value("company")
        for company in self.companies:
            if company.pk == company_id:
                return ZoneInfo(company.time_zone)
        return ZoneInfo(settings.TIME_ZONE)

    @property
    def sort_key(self) -> str:
        value = str(self._value("sort") or "")
        return value if value.lstrip("-") in SORT_FIELDS else DEFAULT_SORT

    def ordering(self) -> tuple[str, ...]:
        """The ORDER BY: the chosen column, then the id in the same direction."""
        self.is_valid()  # cleans the sort when filter_qs did not (ticked orders are not filtered)
        key = self.sort_key
        sign = "-" if key.startswith("-") else ""
        field = SORT_FIELDS[key.lstrip("-")]
        if field == "id":
            return (f"{sign}id",)
        return (f"{sign}{field}", f"{sign}id")

    @property
    def page_size(self) -> int:
        value = self._value("per_page")
        return value if value in PAGE_SIZES else DEFAULT_PAGE_SIZE

    @property
    def page_number(self) -> int:
        return int(self._value("page") or 1)

    @property
    def cursors(self) -> dict[str, str]:
        """The Next / Previous cursor the URL carries (after= or before=), if any."""
        return {key: str(self._value(key) or "") for key in ("after", "before")}

    def filter_query(self) -> str:
        """The filters as a query string without the page: what a saved view stores."""
        assert self.is_bound
        pairs = [(k, v) for k, values in self.data.lists() if k not in NON_FILTER_KEYS for v in values if v != ""]
        return urlencode(pairs)


# --- Paging ---------------------------------------------------------------------------------------


Row = TypeVar("Row")


@dataclass
class OrderPage(Generic[Row]):
    """One page of the grid, without an exact total (SPEC S7: "1-50 of many"). Manage RMAs pages
    its RMAs the same way."""

    orders: list[Row]
    number: int
    per_page: int
    has_next: bool
    # Keyset links (orders.keyset): the cursors of the last and first rows, "" when paging by number.
    next_cursor: str = ""
    previous_cursor: str = ""
    cursor_refused: bool = False  # the URL's cursor was not valid: the page was read by its number

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.orders else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.orders)

    @property
    def known_total(self) -> int | None:
        """The total when this page is the last one (then it is known for free), else None."""
        return None if self.has_next else self.end_index

    @property
    def page_numbers(self) -> list[int | None]:
        """The numbered links: 1, a gap (None), two before, this one, and the next if it exists."""
        last = self.number + 1 if self.has_next else self.number
        window = list(range(max(1, self.number - 2), last + 1))
        numbers: list[int | None] = []
        if window and window[0] > 1:
            numbers.append(1)
            if window[0] > 2:
                numbers.append(None)
        numbers.extend(window)
        return numbers


def order_page(
    qs: QuerySet[Order], *, ordering: tuple[str, ...], number: int, per_page: int, after: str = "", before: str = ""
) -> OrderPage[Order]:
    """Page `number` of `qs` in `ordering`, in one SQL query (see the module docstring): the page
    after the `after` cursor or before the `before` one when Next / Previous gave one (keyset, as
    fast at page 2,000 as at page 2), else by OFFSET."""
    keyset = keyset_supported(Order, ordering)
    cursor_text = (after or before) if keyset else ""
    refused = False
    if cursor_text:
        try:
            cursor = cursor_read(cursor_text, Order, ordering)
        except CursorRefused:
            refused, cursor_text = True, ""
    if cursor_text:
        backwards = not after
        page_ids = rows_after(
            qs.values("pk"), ordering=ordering, cursor=cursor, limit=per_page + 1, backwards=backwards
        )
        rows = _grid_rows_of(page_ids, ordering)
        if backwards:  # the rows just before the cursor, and one more if the page is not the first
            number, has_next = (max(number, 2) if len(rows) > per_page else 1), True
            rows = rows[-per_page:]
        else:
            has_next = len(rows) > per_page
    else:
        offset = (number - 1) * per_page
        rows = _grid_rows_of(qs.order_by(*ordering).values("pk")[offset : offset + per_page + 1], ordering)
        has_next = len(rows) > per_page
    rows = rows[:per_page]
    return OrderPage(
        orders=rows,
        number=number,
        per_page=per_page,
        has_next=has_next,
        next_cursor=cursor_of(rows[-1], ordering) if keyset and rows and has_next else "",
        previous_cursor=cursor_of(rows[0], ordering) if keyset and rows and number > 1 else "",
        cursor_refused=refused,
    )


def _grid_rows_of(ids: Any, ordering: tuple[str, ...]) -> list[Order]:
    """The grid's rows of `ids` (a list or an id subquery), in `ordering`."""
    return list(
        Order.objects.filter(pk__in=ids)
        .select_related("company")
        .only(*GRID_FIELDS)  # not the JSON addresses and the rest the grid never shows
        .order_by(*ordering)
    )


def localise(order: Order) -> datetime:
    """The order date in its company's time zone (SPEC S4: stored in UTC, shown locally)."""
    return timezone.localtime(order.order_date, ZoneInfo(order.company.time_zone))
