"""The dashboard (issue 23): what a user's companies need today, read with a few indexed queries.

Orders of the last 30 days per day by channel and by Order Status (one grouped query on the
covering index order_dashboard_idx), the ship-by deadlines (orders.deadlines, on the partial
index order_to_ship_idx), Problem Orders, failed uploads, and each marketplace account's health
card from the channel registry: orders never names a channel's tables.

Big counts stop at COUNT_CAP ("1,000+"): counting 400,000 late orders exactly would cost more
than the whole page may, and the link lists them all anyway.

The two charts are kept for DASHBOARD_CHARTS_SECONDS (a minute): grouping a month of orders by day
is the dashboard's one costly query (30 ms at 1,000,000 orders, many times that under load), and
a bar per day need not move by the second; the counts below them are read on every view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone

from sellercloud.models import Company

from . import deadlines
from .channel_registry import HealthCard, health_cards
from .charts import Chart, stacked_bars
from .choices import Channel, OrderStatus, UploadStatus
from .models import RMA, Order, Package
from .rma_choices import FINISHED_RMA_STATUSES, RMAStatus

DAYS = 30
COUNT_CAP = 1000
DUE_TODAY_SHOWN = 10


@dataclass(frozen=True)
class Figure:
    """A count that may stop at the cap, and the Manage Orders list behind it."""

    count: int
    capped: bool
    url: str

    @property
    def text(self) -> str:
        return f"{self.count:,}+" if self.capped else f"{self.count:,}"


@dataclass(frozen=True)
class Dashboard:
    companies: list[Company]
    all_companies: bool
    time_zone: str
    since: date
    by_channel: Chart
    by_status: Chart
    late: Figure
    due_today: Figure
    due_today_orders: list[Order]
    problem_orders: Figure
    failed_uploads: int
    open_rmas: Figure
    waiting_acceptance: int
    open_problems: int
    cards: list[HealthCard]
    charts_key: str = ""  # the charts' cache key: the page keeps their drawing as long (DASHBOARD_CHARTS_SECONDS)


def capped_count(qs: QuerySet[Order] | QuerySet[Package]) -> tuple[int, bool]:
    # COUNT(*) over the first COUNT_CAP + 1 rows: counted in the database, no row sent here.
    n = qs.order_by().values("pk")[: COUNT_CAP + 1].count()
    return min(n, COUNT_CAP), n > COUNT_CAP


def _manage_url(companies: list[Company], all_companies: bool, **filters: str) -> str:
    pairs = [] if all_companies else [("company", str(companies[0].pk))]
    return reverse("orders:list") + "?" + urlencode(pairs + list(filters.items()))


def _per_day(orders: QuerySet[Order], tz: ZoneInfo, days: list[date]) -> tuple[Chart, Chart]:
    start = datetime.combine(days[0], time.min, tzinfo=tz)
    rows = (
        orders.filter(order_date__gte=start)
        .annotate(day=TruncDate("order_date", tzinfo=tz))
        .values_list("day", "channel", "status")
        .annotate(n=Count("*"))  # not COUNT(id): the index holds no id, and must serve alone
        .order_by()
    )
    by_channel: dict[tuple[date, str], int] = {}
    by_status: dict[tuple[date, str], int] = {}
    for day, channel, status, n in rows:
        by_channel[(day, channel)] = by_channel.get((day, channel), 0) + n
        by_status[(day, status)] = by_status.get((day, status), 0) + n
    return (
        stacked_bars(days, by_channel, list(Channel.choices), title="Orders per day by channel"),
        stacked_bars(days, by_status, list(OrderStatus.choices), title="Orders per day by Order Status"),
    )


def charts_cache_key(company_ids: list[int], tz: ZoneInfo, today: date) -> str:
    return f"dashboard-charts:{','.join(map(str, sorted(company_ids)))}:{tz.key}:{today.isoformat()}"


def _per_day_kept(
    orders: QuerySet[Order], company_ids: list[int], tz: ZoneInfo, days: list[date]
) -> tuple[Chart, Chart]:
    """The two charts, from the cache when drawn less than DASHBOARD_CHARTS_SECONDS ago (the key
    names the day: a new day draws new charts)."""
    seconds = settings.DASHBOARD_CHARTS_SECONDS
    if seconds <= 0:
        return _per_day(orders, tz, days)
    key = charts_cache_key(company_ids, tz, days[-1])
    charts: tuple[Chart, Chart] | None = cache.get(key)
    if charts is None:
        charts = _per_day(orders, tz, days)
        cache.set(key, charts, seconds)
    return charts


def _open_rmas(companies: list[Company], all_companies: bool) -> Figure:
    """Returns still to deal with (Open or On Hold), linking to Manage RMAs with those filters."""
    rmas = RMA.objects.filter(company_id__in=[c.pk for c in companies]).exclude(status__in=FINISHED_RMA_STATUSES)
    n = rmas.order_by().values("pk")[: COUNT_CAP + 1].count()
    pairs = [] if all_companies else [("company", str(companies[0].pk))]
    pairs += [("status", RMAStatus.OPEN), ("status", RMAStatus.ON_HOLD)]
    return Figure(min(n, COUNT_CAP), n > COUNT_CAP, reverse("rmas:list") + "?" + urlencode(pairs))


def dashboard_for(*, companies: list[Company], all_companies: bool, now: datetime | None = None) -> Dashboard:
    """The dashboard of these companies (the user's own, where they may view orders). `all_companies`
    says whether the links to Manage Orders name no company (every one the user sees)."""
    now = now or timezone.now()
    tz_name = settings.TIME_ZONE if all_companies or not companies else companies[0].time_zone
    tz = ZoneInfo(tz_name)
    today = now.astimezone(tz).date()
    days = [today - timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    ids = [c.pk for c in companies]
    orders = Order.objects.filter(company_id__in=ids)
    by_channel, by_status = _per_day_kept(orders, ids, tz, days)

    def figure(q: Q, **filters: str) -> Figure:
        count, capped = capped_count(orders.filter(q))
        return Figure(count, capped, _manage_url(companies, all_companies, **filters))

    due_today_q = deadlines.deadline_q(deadlines.DUE_TODAY, now=now, tz=tz)
    cards = health_cards(ids)
    return Dashboard(
        companies=companies, all_companies=all_companies, time_zone=tz_name, since=days[0],
        by_channel=by_channel, by_status=by_status,
        late=figure(deadlines.deadline_q(deadlines.LATE, now=now, tz=tz), ship_by=deadlines.LATE),
        due_today=figure(due_today_q, ship_by=deadlines.DUE_TODAY),
        due_today_orders=list(orders.filter(due_today_q).select_related("company").order_by("ship_by", "pk")
                              [:DUE_TODAY_SHOWN]),
        problem_orders=figure(Q(status=OrderStatus.PROBLEM), status=OrderStatus.PROBLEM),
        failed_uploads=Package.objects.filter(order__company_id__in=ids, upload_status=UploadStatus.FAILED).count(),
        open_rmas=_open_rmas(companies, all_companies),
        waiting_acceptance=sum(card.waiting_acceptance for card in cards),
        open_problems=sum(card.open_problems for card in cards),
        cards=cards, charts_key=charts_cache_key(ids, tz, today),
    )  # fmt: skip
