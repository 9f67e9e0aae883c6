"""The dashboard (issue 23): its numbers equal figures counted by hand on seeded orders of several
companies, and a user sees only their own companies (those where they may view orders)."""

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.core.cache.utils import make_template_fragment_key
from django.urls import reverse

from channels.models import SyncProblem, SyncRun
from orders.choices import OPEN_STATUSES, Channel, OrderStatus, ShippingStatus, UploadStatus
from orders.dashboard import COUNT_CAP, charts_cache_key, dashboard_for
from orders.models import RMA, Order
from orders.rma_choices import RMAStatus
from sellercloud.shell import SESSION_COMPANY_KEY
from tests.channels.clock import TestClock, app_clock
from tests.factories import CompanyFactory, MembershipFactory, OrderFactory, PackageFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)  # 15:00 in Paris
PARIS = ZoneInfo("Europe/Paris")
CHANNELS = [Channel.CDISCOUNT, Channel.WEBSITE, Channel.AMAZON]
STATUSES = list(OrderStatus.values)


def seed(company, rng, n=60):
    """`n` orders of `company` over the last 40 days; returns what was made, for counting by hand."""
    made = []
    for _ in range(n):
        status = rng.choice(STATUSES)
        order_date = NOW - timedelta(minutes=rng.randrange(40 * 24 * 60))
        ship_by = NOW + timedelta(minutes=rng.randrange(-3 * 24 * 60, 2 * 24 * 60))
        shipped = status == OrderStatus.COMPLETED
        channel = rng.choice(CHANNELS)
        waiting = channel == Channel.CDISCOUNT and rng.random() < 0.2
        order = OrderFactory(
            company=company, channel=channel, status=status, order_date=order_date, ship_by=ship_by,
            shipping_status=ShippingStatus.FULLY_SHIPPED if shipped else ShippingStatus.UNSHIPPED,
            channel_status="WaitingAcceptance" if waiting else "",
        )  # fmt: skip
        failed = shipped and rng.random() < 0.3
        if shipped:
            PackageFactory(order=order, upload_status=UploadStatus.FAILED if failed else UploadStatus.UPLOADED)
        made.append({"order": order, "failed": failed, "waiting": waiting and status != OrderStatus.CANCELED})
    return made


@pytest.fixture
def world():
    rng = random.Random(23)
    mine_a, mine_b = CompanyFactory(name="Atelier A"), CompanyFactory(name="Boutique B")
    other, no_view = CompanyFactory(name="Concurrent C"), CompanyFactory(name="Dépôt D")
    user = UserFactory()
    MembershipFactory(user=user, company=mine_a, can_view_orders=True)
    MembershipFactory(user=user, company=mine_b, can_view_orders=True)
    MembershipFactory(user=user, company=no_view, can_view_orders=False)  # a member without View orders
    seeded = {c.pk: seed(c, rng) for c in (mine_a, mine_b, other, no_view)}
    # One unresolved download problem on A's account, one resolved
    account = seeded[mine_a.pk][0]["order"].company.cdiscount_account
    run = SyncRun.objects.create(account=account, kind=SyncRun.Kind.DOWNLOAD, status=SyncRun.Status.PARTIAL)
    SyncProblem.objects.create(run=run, channel_order_id="X1", message="bad price")
    SyncProblem.objects.create(run=run, channel_order_id="X2", message="bad price", resolved_at=NOW)
    return user, mine_a, mine_b, seeded


def by_hand(made):
    """The figures, counted from the seeded list (not the database)."""
    start = (NOW.astimezone(PARIS) - timedelta(days=29)).date()
    in_period = [m["order"] for m in made if m["order"].order_date.astimezone(PARIS).date() >= start]
    to_ship = [m["order"] for m in made if m["order"].status in OPEN_STATUSES
               and m["order"].shipping_status == ShippingStatus.UNSHIPPED]  # fmt: skip
    midnight = datetime.combine(NOW.astimezone(PARIS).date() + timedelta(days=1), datetime.min.time(), tzinfo=PARIS)
    return {
        "per_day": Counter(o.order_date.astimezone(PARIS).date() for o in in_period),
        "channels": Counter(o.channel for o in in_period),
        "statuses": Counter(o.status for o in in_period),
        "late": sum(1 for o in to_ship if o.ship_by < NOW),
        "due_today": sum(1 for o in to_ship if NOW <= o.ship_by < midnight),
        "problem": sum(1 for m in made if m["order"].status == OrderStatus.PROBLEM),
        "failed": sum(1 for m in made if m["failed"]),
        "waiting": sum(1 for m in made if m["waiting"]),
    }


def check(d, hand, problems):
    days = [d.since + timedelta(days=i) for i in range(30)]
    assert [c.total for c in d.by_channel.columns] == [hand["per_day"].get(day, 0) for day in days]
    assert [c.total for c in d.by_status.columns] == [hand["per_day"].get(day, 0) for day in days]
    assert {key: n for key, _, n in d.by_channel.legend} == {k: v for k, v in hand["channels"].items()}
    assert {key: n for key, _, n in d.by_status.legend} == {k: v for k, v in hand["statuses"].items()}
    assert (d.late.count, d.due_today.count, d.problem_orders.count) == (
        hand["late"],
        hand["due_today"],
        hand["problem"],
    )
    assert (d.failed_uploads, d.waiting_acceptance, d.open_problems) == (hand["failed"], hand["waiting"], problems)


def test_one_company_figures_equal_the_hand_count(world):
    _, mine_a, _, seeded = world
    d = dashboard_for(companies=[mine_a], all_companies=False, now=NOW)
    check(d, by_hand(seeded[mine_a.pk]), problems=1)
    assert [card.company_name for card in d.cards] == ["Atelier A"]
    assert d.late.url == reverse("orders:list") + f"?company={mine_a.pk}&ship_by=late"


def test_all_companies_figures_equal_the_hand_count_of_the_users_own(world, client):
    user, mine_a, mine_b, seeded = world
    with app_clock(TestClock(NOW)):
        client.force_login(user)
        page = client.get(reverse("dashboard") + "?all=1").content.decode()
    d = dashboard_for(companies=[mine_a, mine_b], all_companies=True, now=NOW)
    check(d, by_hand(seeded[mine_a.pk] + seeded[mine_b.pk]), problems=1)
    assert [card.company_name for card in d.cards] == ["Atelier A", "Boutique B"]
    # the page shows the same, and nothing of the companies that are not the user's to see
    hand = by_hand(seeded[mine_a.pk] + seeded[mine_b.pk])
    assert f'data-figure="late"><span class="db-n">{hand["late"]}</span>' in page
    assert f'data-figure="failed_uploads"><span class="db-n">{hand["failed"]}</span>' in page
    main = page[page.index("<main") :]  # D is in the company switcher: the user's, without View orders
    assert "Concurrent C" not in page and "Dépôt D" not in main
    assert d.late.url == reverse("orders:list") + "?ship_by=late"


def test_a_deadline_link_lists_exactly_the_orders_counted(world, client):
    user, mine_a, _, seeded = world
    with app_clock(TestClock(NOW)):
        client.force_login(user)
        d = dashboard_for(companies=[mine_a], all_companies=False, now=NOW)
        for figure in (d.late, d.due_today):
            page = client.get(figure.url + "&per_page=200").content.decode()
            assert page.count('name="ids" value=') == figure.count > 0, figure


def test_big_counts_stop_at_the_cap(world, monkeypatch):
    _, mine_a, _, seeded = world
    monkeypatch.setattr("orders.dashboard.COUNT_CAP", 3)
    d = dashboard_for(companies=[mine_a], all_companies=False, now=NOW)
    assert by_hand(seeded[mine_a.pk])["late"] > 3
    assert (d.late.count, d.late.capped, d.late.text) == (3, True, "3+")
    assert COUNT_CAP == 1000


def test_manage_orders_ship_by_filter_refuses_a_bad_value(world, client):
    user, mine_a, _, _ = world
    client.force_login(user)
    page = client.get(reverse("orders:list") + "?ship_by=yesterday").content.decode()
    assert "Some filters were not applied" in page and "Ship By" in page


def test_open_rmas_are_counted_for_the_users_companies_and_link_to_manage_rmas(world):
    _, mine_a, mine_b, seeded = world
    orders_a = [m["order"] for m in seeded[mine_a.pk]]
    for n, status in enumerate([RMAStatus.OPEN, RMAStatus.ON_HOLD, RMAStatus.CLOSED, RMAStatus.CANCELLED]):
        RMA.objects.create(company=mine_a, order=orders_a[n], number=f"RMA-{n:06d}", status=status)
    other = CompanyFactory(name="Ailleurs")
    RMA.objects.create(company=other, order=OrderFactory(company=other), number="RMA-900000")

    d = dashboard_for(companies=[mine_a, mine_b], all_companies=True, now=NOW)

    assert d.open_rmas.count == 2  # Open and On Hold; not Closed, Cancelled or another company's
    assert d.open_rmas.url == reverse("rmas:list") + "?status=open&status=on_hold"


def test_charts_are_kept_a_minute_while_the_counts_stay_live(world, settings):
    # given the charts kept for a minute, and a dashboard just drawn
    _, mine_a, _, seeded = world
    settings.DASHBOARD_CHARTS_SECONDS = 60
    today = NOW.astimezone(PARIS).date()
    cache.delete(charts_cache_key([mine_a.pk], PARIS, today))  # a key left by an earlier run
    before = dashboard_for(companies=[mine_a], all_companies=False, now=NOW)

    # when an order of today comes in Problem and the dashboard is viewed again in the minute
    OrderFactory(
        company=mine_a,
        channel=Channel.WEBSITE,
        status=OrderStatus.PROBLEM,
        order_date=NOW,
        ship_by=NOW + timedelta(days=3),
    )
    again = dashboard_for(companies=[mine_a], all_companies=False, now=NOW)

    # then the charts are those drawn before, and the Problem Orders count has the new order
    assert again.by_channel == before.by_channel and again.by_status == before.by_status
    assert again.problem_orders.count == before.problem_orders.count + 1
    # and once the kept charts are gone (the minute over), the new order is in today's bar
    cache.delete(charts_cache_key([mine_a.pk], PARIS, today))
    fresh = dashboard_for(companies=[mine_a], all_companies=False, now=NOW)
    assert fresh.by_channel.columns[-1].total == before.by_channel.columns[-1].total + 1
    check(fresh, by_hand(seeded[mine_a.pk] + [{"order": Order.objects.latest("pk"), "failed": False,
                                               "waiting": False}]), problems=1)  # fmt: skip


def test_the_page_keeps_its_charts_for_the_minute_while_the_tiles_stay_live(world, client, settings):
    # given the charts kept for a minute, and the page seen once
    user, mine_a, _, seeded = world
    settings.DASHBOARD_CHARTS_SECONDS = 60
    key = charts_cache_key([mine_a.pk], PARIS, NOW.astimezone(PARIS).date())
    cache.delete_many([key, make_template_fragment_key("dashboard-charts", [key])])  # left by an earlier run
    client.force_login(user)
    with app_clock(TestClock(NOW)):
        session = client.session
        session[SESSION_COMPANY_KEY] = mine_a.pk
        session.save()
        first = client.get(reverse("dashboard")).content.decode()
        # when a Website order of today comes in Problem, and the page is seen again in the minute
        OrderFactory(company=mine_a, channel=Channel.WEBSITE, status=OrderStatus.PROBLEM, order_date=NOW,
                     ship_by=NOW + timedelta(days=3))  # fmt: skip
        again = client.get(reverse("dashboard")).content.decode()

    # then the charts are the same drawing, while the Problem Orders tile counts the new order
    hand = by_hand(seeded[mine_a.pk])
    website = f'data-legend="website">{hand["channels"][Channel.WEBSITE]}</span>'
    assert website in first and website in again
    assert f'data-figure="problem_orders"><span class="db-n">{hand["problem"]}</span>' in first
    assert f'data-figure="problem_orders"><span class="db-n">{hand["problem"] + 1}</span>' in again
