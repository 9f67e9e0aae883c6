"""The import ledger (issue 23): each download run's window and overlap, the coverage timeline of
the Sync Log, its gaps, and Backfill this gap, against the sandbox with one clock for both."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from channels.ledger import Span, account_coverage, merge, uncovered
from channels.models import SyncRun
from channels.services import download_run_now
from orders.models import Order
from tests.channels.clock import TestClock, app_clock
from tests.channels.conftest import logged_in
from tests.channels.sandbox_helpers import account_for
from tests.factories import CompanyFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fast_client(settings):
    settings.CDISCOUNT_HTTP_TIMEOUT = 0.5
    settings.CDISCOUNT_BACKOFF_BASE = 0.005
    settings.CDISCOUNT_MAX_ATTEMPTS = 2
    settings.DOWNLOAD_OVERLAP_MINUTES = 60
    settings.DOWNLOAD_STALE_SECONDS = 300


@pytest.fixture
def clock():
    with app_clock(TestClock(T0)) as clock:
        yield clock


@pytest.fixture
def sandbox(make_cdiscount_sandbox, clock):
    return make_cdiscount_sandbox(orders=20, clock=clock)


def download(account, **kwargs) -> SyncRun:
    run = download_run_now(account=account, trigger=SyncRun.Trigger.COMMAND, **kwargs)
    assert run is not None
    run.refresh_from_db()
    return run


def clients(company):
    """A manager, a reader and an outsider, signed in now (the clock moved past older sessions)."""
    manager, reader, outsider = UserFactory(), UserFactory(), UserFactory()
    MembershipFactory(user=manager, company=company, can_manage_channel=True)
    MembershipFactory(user=reader, company=company, can_view_orders=True)
    MembershipFactory(user=outsider, company=CompanyFactory(), can_manage_channel=True)
    return logged_in(manager), logged_in(reader), logged_in(outsider)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def test_merge_and_uncovered_find_the_holes():
    a, b = T0, T0 + hours(10)
    spans = [Span(a, a + hours(2)), Span(a + hours(1), a + hours(3)), Span(a + hours(5), b)]
    assert merge(spans) == [Span(a, a + hours(3)), Span(a + hours(5), b)]
    assert uncovered(merge(spans), a, b + hours(1)) == [Span(a + hours(3), a + hours(5)), Span(b, b + hours(1))]


def test_each_run_shows_its_window_in_utc_and_local_time_and_its_overlap(sandbox, clock, manager_client, company):
    # given a first download, then an ordinary one an hour later
    account = account_for(sandbox, company=company)
    first = download(account)
    clock.advance(hours=1)
    second = download(account)

    # then the first looked back the account's days, the second reached back the overlap
    assert first.overlap_minutes is None
    assert first.window_to - first.window_from == timedelta(days=account.lookback_days)
    assert second.overlap_minutes == 60
    assert second.window_from == first.window_to - hours(1)

    # and the run's page says both, in the company's time zone and in UTC
    page = manager_client.get(reverse("sync_run", args=[second.pk])).content.decode()
    local = second.window_from.astimezone(ZoneInfo(company.time_zone))
    assert local.strftime("%d/%m/%Y %H:%M:%S") in page
    assert second.window_from.strftime("%d/%m/%Y %H:%M:%S") + " → " in page
    assert "60 minutes before the previous window" in page
    assert f"{second.unchanged}</span>" in page


def test_downloads_off_for_a_day_make_a_gap_that_backfill_closes(
    sandbox, clock, manager, manager_client, company, django_capture_on_commit_callbacks, eager_celery
):
    # given a good download, then Enable Order Download off for a day, while an order changes
    account = account_for(sandbox, company=company)
    good = download(account)
    account.download_enabled = False
    account.save(update_fields=["download_enabled"])
    clock.advance(hours=6)
    [missed] = sandbox.control.create_orders(status="InPreparation")
    clock.advance(hours=18)

    # when the Sync Log is drawn
    coverage = account_coverage(account=account)

    # then the day is one gap, from the last window's end to now, and the order is missing here
    [gap] = coverage.gaps
    assert gap.start == good.window_to
    assert gap.duration >= hours(24)
    assert not Order.objects.filter(channel_order_id=missed).exists()
    manager_client.force_login(manager)  # a day passed: the session went idle
    page = manager_client.get(reverse("sync_log")).content.decode()
    assert 'data-gaps="1"' in page and "Backfill this gap" in page and "tl-gap" in page

    # when the user backfills exactly that gap
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            reverse("sync_gap_backfill", args=[account.pk]),
            {"start": gap.start.isoformat(), "end": gap.end.isoformat()},
        )

    # then a backfill of that very span ran, the order came in, and the gap is closed
    run = SyncRun.objects.get(is_backfill=True)
    assert response.url == reverse("sync_run", args=[run.pk])
    assert (run.window_from, run.window_to, run.status) == (gap.start, gap.end, SyncRun.Status.COMPLETED)
    assert Order.objects.filter(channel_order_id=missed).exists()
    assert account_coverage(account=account).gaps == []
    assert 'data-gaps="0"' in manager_client.get(reverse("sync_log")).content.decode()

    # and the same gap posted again changes nothing, with why
    response = manager_client.post(
        reverse("sync_gap_backfill", args=[account.pk]), {"start": gap.start.isoformat(), "end": gap.end.isoformat()}
    )
    assert SyncRun.objects.filter(is_backfill=True).count() == 1


def test_a_gap_between_windows_is_flagged_and_closed(sandbox, clock, company, manager, manager_client, eager_celery,
                                                     django_capture_on_commit_callbacks):  # fmt: skip
    # given downloads off for a day, then only the last two hours downloaded by hand
    account = account_for(sandbox, company=company)
    good = download(account)
    clock.advance(hours=24)
    end = clock()
    download(account, date_from=end - hours(2), date_to=end)

    # then the 22 hours between are a gap, and nothing after it
    [gap] = account_coverage(account=account).gaps
    assert (gap.start, gap.end) == (good.window_to, end - hours(2))

    # when it is backfilled, it closes
    manager_client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(reverse("sync_gap_backfill", args=[account.pk]),
                            {"start": gap.start.isoformat(), "end": gap.end.isoformat()})  # fmt: skip
    assert account_coverage(account=account).gaps == []


def test_a_failed_run_between_two_good_ones_is_no_gap(sandbox, clock, company):
    # given a good run, a failed one a quarter of an hour later, and a good one after that
    account = account_for(sandbox, company=company)
    download(account)
    clock.advance(minutes=15)
    sandbox.control.set_faults(next_errors=10)
    failed = download(account)
    sandbox.control.reset_faults()
    assert failed.status == SyncRun.Status.FAILED
    clock.advance(minutes=15)
    second = download(account)

    # then the next good run read the failed one's window again: no gap, then or later
    assert second.window_from == failed.window_from and second.window_to > failed.window_to
    assert account_coverage(account=account).gaps == []
    clock.advance(minutes=20)
    assert account_coverage(account=account).gaps == []


def test_bad_or_foreign_backfill_requests_change_nothing(sandbox, clock, company, make_cdiscount_sandbox):
    account = account_for(sandbox, company=company)
    download(account)
    clock.advance(hours=24)
    manager_client, reader_client, outsider_client = clients(company)
    [gap] = account_coverage(account=account).gaps
    url = reverse("sync_gap_backfill", args=[account.pk])
    span = {"start": gap.start.isoformat(), "end": gap.end.isoformat()}

    assert outsider_client.post(url, span).status_code == 404
    assert reader_client.post(url, span).status_code == 403
    response = manager_client.post(url, {"start": span["end"], "end": span["start"]}, follow=True)
    assert "start must be before its end" in response.content.decode()
    response = manager_client.post(url, {"start": "yesterday", "end": span["end"]}, follow=True)
    assert "Nothing was started" in response.content.decode()
    # a span that was never a gap (covered by the first download)
    covered = {"start": (gap.start - hours(5)).isoformat(), "end": (gap.start - hours(1)).isoformat()}
    response = manager_client.post(url, covered, follow=True)
    assert "not a gap any more" in response.content.decode()
    assert not SyncRun.objects.filter(is_backfill=True).exists()
    assert manager_client.get(reverse("sync_log") + "?days=500").status_code == 200
