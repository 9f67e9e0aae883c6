"""Manage RMAs: which RMAs a user may see, the filters (in the URL), the search box and the paging.

Built like Manage Orders (orders.filters): scoped to the companies where the user may view
orders, numbered pages without an exact total (one row more than the page tells whether a next
one exists), and a page read in one query whatever its size.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.db.models import IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from sellercloud.inputs import BoundedDateField, coerce_id, parse_id
from sellercloud.models import Company

from ..choices import Channel
from ..filters import DEFAULT_PAGE_SIZE, MAX_PAGE, PAGE_SIZES, OrderPage
from ..models import RMA, Package, RMAItem
from ..rma_choices import ReceivedStatus, Resolution, RMAStatus

# Sortable columns: URL key -> field; each ordering ends with the id in the same direction.
SORT_FIELDS: dict[str, str] = {
    "number": "number",
    "order": "order_id",
    "channel": "order__channel",
    "channel_order_id": "order__channel_order_id",
    "company": "company__name",
    "created": "created_at",
    "customer": "order__customer_name",
    "status": "status",
    "received_status": "received_status",
}
DEFAULT_SORT = "-created"
RMA_NUMBER = re.compile(r"(?i)rma-?0*([0-9]{1,9})")


def search_q(term: str) -> Q:
    """Exact on the RMA number (RMA-000042, rma42), the Order ID, the channel order id and a
    package's tracking number."""
    term = term.strip()
    q = Q(order__channel_order_id=term) | Q(
        order_id__in=Package.objects.filter(tracking_number=term).values("order_id")
    )
    if match := RMA_NUMBER.fullmatch(term):
        q |= Q(number=f"RMA-{int(match.group(1)):06d}")
    if (order_id := parse_id(term)) is not None:
        q |= Q(order_id=order_id)
    return q


def _multiple(label: str, choices: Any) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(label=label, choices=choices, required=False)


class RMAFilterForm(forms.Form):
    """The Manage RMAs filters, read from the query string; a company outside `companies` shows nothing."""

    data: Any

    status = _multiple("RMA Status", RMAStatus.choices)
    received_status = _multiple("Received Status", ReceivedStatus.choices)
    resolution = _multiple("Resolution", Resolution.choices)
    channel = _multiple("Channel", Channel.choices)
    company = forms.TypedChoiceField(label="Company", coerce=coerce_id, required=False, empty_value=None)
    date_from = BoundedDateField(label="Created from", required=False)
    date_to = BoundedDateField(label="Created to", required=False)
    q = forms.CharField(label="Search", required=False, max_length=200)
    sort = forms.CharField(required=False)
    per_page = forms.TypedChoiceField(
        coerce=int,
        choices=[(n, str(n)) for n in PAGE_SIZES],
        required=False,
        empty_value=DEFAULT_PAGE_SIZE,  # type: ignore[arg-type]  # django-stubs says str; Django takes any value
    )
    page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)

    def __init__(self, *args: Any, companies: list[Company], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.companies = companies
        company_field = self.fields["company"]
        assert isinstance(company_field, forms.ChoiceField)
        company_field.choices = [("", "All companies")] + [(c.pk, c.name) for c in companies]

    def _value(self, name: str) -> Any:
        return getattr(self, "cleaned_data", {}).get(name) if self.is_bound else None

    def filter_qs(self, qs: QuerySet[RMA]) -> QuerySet[RMA]:
        """`qs` narrowed by every valid filter; empty when the company asked for is not allowed."""
        self.is_valid()
        if "company" in self.errors:
            return qs.none()
        data = self.cleaned_data
        for name in ("status", "received_status"):
            if data.get(name):
                qs = qs.filter(**{f"{name}__in": data[name]})
        if data.get("resolution"):
            qs = qs.filter(pk__in=RMAItem.objects.filter(resolution__in=data["resolution"]).values("rma_id"))
        if data.get("channel"):
            qs = qs.filter(order__channel__in=data["channel"])
        if data.get("company"):
            qs = qs.filter(company_id=data["company"])
        tz = self._time_zone()
        if data.get("date_from"):
            qs = qs.filter(created_at__gte=datetime.combine(data["date_from"], time.min, tzinfo=tz))
        if data.get("date_to"):
            qs = qs.filter(created_at__lt=datetime.combine(data["date_to"] + timedelta(days=1), time.min, tzinfo=tz))
        if data.get("q", "").strip():
            qs = qs.filter(search_q(data["q"]))
        return qs

    def _time_zone(self) -> ZoneInfo:
        """Dates in the chosen company's time zone, else the installation's."""
        chosen = next((c for c in self.companies if c.pk == self._value("company")), None)
        return ZoneInfo(chosen.time_zone if chosen else settings.TIME_ZONE)

    @property
    def sort_key(self) -> str:
        value = str(self._value("sort") or "")
        return value if value.lstrip("-") in SORT_FIELDS else DEFAULT_SORT

    def ordering(self) -> tuple[str, ...]:
        sign = "-" if self.sort_key.startswith("-") else ""
        return (f"{sign}{SORT_FIELDS[self.sort_key.lstrip('-')]}", f"{sign}id")

    @property
    def page_size(self) -> int:
        value = self._value("per_page")
        return value if value in PAGE_SIZES else DEFAULT_PAGE_SIZE

    @property
    def page_number(self) -> int:
        return int(self._value("page") or 1)


def _quantity(field: str) -> Coalesce:
    total = RMAItem.objects.filter(rma=OuterRef("pk")).order_by().values("rma").annotate(total=Sum(field))
    return Coalesce(Subquery(total.values("total"), output_field=IntegerField()), 0)


def rma_page(qs: QuerySet[RMA], *, ordering: tuple[str, ...], number: int, per_page: int) -> OrderPage[RMA]:
    """Page `number` of `qs` in one query, with each RMA's expected and received quantities."""
    offset = (number - 1) * per_page
    page_ids = qs.order_by(*ordering).values("pk")[offset : offset + per_page + 1]
    rows: list[RMA] = list(
        RMA.objects.filter(pk__in=page_ids)
        .select_related("company", "order")
        .annotate(expected=_quantity("quantity"), received=_quantity("received_quantity"))
        .order_by(*ordering)
    )
    return OrderPage(orders=rows[:per_page], number=number, per_page=per_page, has_next=len(rows) > per_page)
