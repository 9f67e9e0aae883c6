"""The download run against the sandbox over real HTTP on loopback (SPEC S5, S6, S12)."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import DataError
from django.urls import reverse
from django.utils import timezone

from channels.accounts import client_for
from channels.download.engine import download_execute
from channels.download.run import run_create
from channels.models import SyncProblem, SyncRun
from channels.runs import Claim, next_due_after
from channels.services import DOWNLOAD, download_claim_due_accounts, download_run_now, sync_problem_retry
from orders.choices import OrderStatus, PaymentStatus
from orders.models import Order, Payment
from tests.channels.sandbox_helpers import account_for, importable, local
from tests.factories import CdiscountAccountFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_client(settings):
    # SPEC S12: small timeouts and millisecond backoff in CI.
    settings.CDISCOUNT_HTTP_TIMEOUT = 0.5
    settings.CDISCOUNT_BACKOFF_BASE = 0.005
    settings.CDISCOUNT_MAX_ATTEMPTS = 8


def download(account, **kwargs) -> SyncRun:
    run = download_run_now(account=account, trigger=SyncRun.Trigger.COMMAND, **kwargs)
    assert run is not None
    run.refresh_from_db()
    return run


def test_download_creates_exactly_the_importable_orders_and_again_changes_nothing(make_cdiscount_sandbox):
    # given a sandbox of 130 orders in every status: two pages
    sandbox = make_cdiscount_sandbox(orders=130)
    account = account_for(sandbox)

    # when
    run = download(account)

    # then
    expected = importable(sandbox, allow_unpaid=False)
    assert run.status == SyncRun.Status.COMPLETED
    assert local(account) == expected
    assert run.created == len(expected)
    assert run.created + run.skipped + run.unchanged + run.updated == 130
    assert run.pages == 2
    for order in Order.objects.filter(channel_account=account):
        assert order.payments.count() == 1
        assert order.payment_status == PaymentStatus.CHARGED
        truth = sandbox.control.order(order.channel_order_id)
        assert order.grand_total == Decimal(str(truth["totalPrice"]["sellingPrice"]))
        assert order.items.count() == len(truth["lines"])
        if truth["status"] in ("Shipped", "Delivered"):
            assert order.status == OrderStatus.COMPLETED
        elif any(line["status"] == "CancelRequest" for line in truth["lines"]):
            assert (order.status, order.hold_reason) == (OrderStatus.ON_HOLD, "customer cancellation request")
        else:
            assert order.status == OrderStatus.IN_PROCESS
    account.refresh_from_db()
    assert account.download_watermark == run.window_to

    # when the same window is downloaded again
    rows = (Order.objects.count(), Payment.objects.count())
    again = download(account, date_from=run.window_from, date_to=run.window_to)

    # then
    assert again.status == SyncRun.Status.COMPLETED
    assert (again.created, again.updated) == (0, 0)
    assert again.unchanged == len(expected)
    assert (Order.objects.count(), Payment.objects.count()) == rows


def test_unpaid_orders_come_only_with_allow_unpaid_and_get_their_payment_once(make_cdiscount_sandbox):
    sandbox = make_cdiscount_sandbox(orders=30)
    account = account_for(sandbox)
    download(account)
    unpaid_ids = set(importable(sandbox, allow_unpaid=True)) - set(importable(sandbox, allow_unpaid=False))
    assert unpaid_ids
    assert not Order.objects.filter(channel_order_id__in=unpaid_ids).exists()

    # when Allow UnPaid Order is turned on (the settings page starts a backfill of the look-back)
    account.allow_unpaid_orders = True
    account.save()
    now = timezone.now()
    backfill = download(account, date_from=now - timedelta(days=account.lookback_days), date_to=now)

    # then the unpaid orders arrive, and the backfill did not move the watermark
    assert set(local(account)) >= unpaid_ids
    watermark = account.download_watermark
    account.refresh_from_db()
    assert account.download_watermark == watermark
    assert backfill.is_backfill

    # when they move on to InPreparation on the marketplace, seen by two downloads
    for order_id in unpaid_ids:
        sandbox.control.set_status(order_id, "InPreparation")
    download(account)
    download(account)

    # then each has exactly one payment
    for order in Order.objects.filter(channel_order_id__in=unpaid_ids):
        assert order.payments.count() == 1
        assert order.payment_status == PaymentStatus.CHARGED


def test_customer_cancellation_cancels_the_local_order(make_cdiscount_sandbox):
    sandbox = make_cdiscount_sandbox(orders=20)
    account = account_for(sandbox)
    order_id = sandbox.control.create_orders(status="InPreparation")[0]
    download(account)

    sandbox.control.set_status(order_id, "Cancelled")
    download(account)

    assert Order.objects.get(channel_order_id=order_id).status == OrderStatus.CANCELED


def test_a_malformed_order_is_a_problem_and_the_rest_import_then_retry_imports_it(make_cdiscount_sandbox):
    sandbox = make_cdiscount_sandbox(orders=20)
    account = account_for(sandbox)
    bad_id = sandbox.control.create_orders(status="InPreparation")[0]
    sandbox.control.malform(bad_id, "bad_price")

    run = download(account)

    assert run.status == SyncRun.Status.PARTIAL
    problem = SyncProblem.objects.get(run=run)
    assert problem.channel_order_id == bad_id
    assert "unitSalesPrice" in problem.message
    assert problem.raw_payload["orderId"] == bad_id
    assert set(local(account)) == set(importable(sandbox, allow_unpaid=False)) - {bad_id}
    account.refresh_from_db()
    assert account.download_watermark == run.window_to  # Partial Success moves it

    # when the order is repaired and the user clicks Retry
    sandbox.control.repair(bad_id)
    retry = sync_problem_retry(problem=problem, user=None)

    assert retry.status == SyncRun.Status.COMPLETED
    assert Order.objects.filter(channel_order_id=bad_id).count() == 1
    problem.refresh_from_db()
    assert problem.resolved_at is not None


INTERNALS = ("DataError", "character varying", "invalid literal", "Traceback", "ValueError")


def test_an_order_our_code_fails_on_is_a_problem_in_peoples_words(make_cdiscount_sandbox, monkeypatch):
    # given a bug that fails every order with a database error's text
    sandbox = make_cdiscount_sandbox(orders=0)
    account = account_for(sandbox)
    [order_id] = sandbox.control.create_orders(status="InPreparation")

    def fail(**kwargs):
        raise DataError("value too long for type character varying(64)")

    monkeypatch.setattr("channels.download.engine.orders_create_new", fail)
    monkeypatch.setattr("channels.download.engine.order_upsert_from_cdiscount", fail)

    # when
    run = download(account)

    # then the problem says what happened and what to do, not the database's words
    problem = SyncProblem.objects.get(run=run)
    assert problem.channel_order_id == order_id
    assert problem.message == (
        "Could not apply the order: an error in our software stopped it (the details are in the server log, "
        "event=download_order_failed). Retry it; if it fails the same way, tell your administrator."
    )
    assert not any(word in problem.message for word in INTERNALS)


def test_a_download_our_code_crashes_on_fails_in_peoples_words(make_cdiscount_sandbox, monkeypatch):
    sandbox = make_cdiscount_sandbox(orders=3)
    account = account_for(sandbox)

    def crash(*args, **kwargs):
        raise ValueError("invalid literal for int() with base 10: 'x'")

    monkeypatch.setattr("channels.download.engine._download_window", crash)

    run = download(account)

    assert run.status == SyncRun.Status.FAILED
    assert run.error.startswith("The download stopped: an error in our software stopped it")
    assert not any(word in run.error for word in INTERNALS)


def test_a_tracking_url_from_the_marketplace_is_kept_only_if_http_and_never_a_script_link(
    make_cdiscount_sandbox, client
):
    # given two orders we hold in preparation, then the marketplace reports them Shipped, one with
    # a script URL and one with an ordinary URL, and a third order first seen Shipped with a script URL
    sandbox = make_cdiscount_sandbox(orders=0)
    account = account_for(sandbox)
    known, ordinary = sandbox.control.create_orders(count=2, status="InPreparation")
    download(account)
    (first_seen,) = sandbox.control.create_orders(count=1, status="InPreparation")
    parcels = {
        known: "data:text/html,<script>alert(document.domain)</script>",
        ordinary: "https://www.laposte.fr/outils/suivre-vos-envois?code=6A2",
        first_seen: "javascript:alert(document.domain)",
    }
    for number, (order_id, url) in enumerate(parcels.items()):
        parcel = {"parcelNumber": f"6A{number}", "carrierName": "Colissimo", "trackingUrl": url}
        sandbox.control.update_order(order_id, status="Shipped", parcel=parcel)
    # Changes in one millisecond get stamps a millisecond apart, so the last can lie a few ms ahead
    # of the clock: let the clock pass it, or this window ends before it (the next run's overlap
    # would read it; this test looks at one run).
    time.sleep(0.01)

    # when
    run = download(account)

    # then every order is imported and completed, and only the http(s) URL is kept
    assert run.status == SyncRun.Status.COMPLETED
    urls = {}
    for order_id in parcels:
        order = Order.objects.get(channel_account=account, channel_order_id=order_id)
        assert order.status == OrderStatus.COMPLETED
        urls[order_id] = order.packages.get().tracking_url
    assert urls == {known: "", ordinary: parcels[ordinary], first_seen: ""}

    # and Order Details links the http(s) one only
    client.force_login(UserFactory(is_client_admin=True))
    pages = {}
    for order_id in parcels:
        order = Order.objects.get(channel_account=account, channel_order_id=order_id)
        pages[order_id] = client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    for html in pages.values():  # (the Channel Data panel shows the payload, URLs included, as text)
        assert 'href="javascript:' not in html and 'href="data:' not in html
    assert "<td>6A0</td>" in pages[known] and "<td>6A2</td>" in pages[first_seen]
    assert f'<a href="{parcels[ordinary]}"' in pages[ordinary]


def test_download_survives_ci_fault_rates_with_every_order(make_cdiscount_sandbox):
    # given 20% 5xx, 5% timeouts, a 429 burst, and tokens that die after a moment
    sandbox = make_cdiscount_sandbox(orders=250)
    account = account_for(sandbox)
    sandbox.control.set_faults(
        error_rate=0.2, timeout_rate=0.05, next_errors=2, next_timeouts=1, next_rate_limits=3, retry_after=0.01
    )

    run = download(account)
    sandbox.control.expire_tokens()  # and a token dying mid-way through a second run
    second = download(account)

    assert run.status == second.status == SyncRun.Status.COMPLETED
    assert local(account) == importable(sandbox, allow_unpaid=False)
    faults = [r.fault for r in sandbox.requests()]
    assert faults.count("error") >= 2 and faults.count("timeout") >= 1 and faults.count("rate_limit") >= 3


def test_a_fault_rate_retries_cannot_beat_fails_the_run_and_keeps_the_watermark(make_cdiscount_sandbox):
    sandbox = make_cdiscount_sandbox(orders=20)
    account = account_for(sandbox)
    first = download(account)
    account.refresh_from_db()
    watermark = account.download_watermark

    sandbox.control.set_faults(error_rate=1.0)
    run = download(account)

    assert run.status == SyncRun.Status.FAILED
    assert "503" in run.error
    account.refresh_from_db()
    assert account.download_watermark == watermark == first.window_to
    assert account.consecutive_failures == 1


def test_the_window_starts_at_the_watermark_minus_the_overlap(make_cdiscount_sandbox, settings):
    settings.DOWNLOAD_OVERLAP_MINUTES = 60
    sandbox = make_cdiscount_sandbox(orders=5)
    account = account_for(sandbox, lookback_days=30)

    first = download(account)
    second = download(account)

    assert first.window_to - first.window_from == timedelta(days=30)
    assert second.window_from == first.window_to - timedelta(minutes=60)
    query = sandbox.requests(path_contains="/seller/v2/orders")[-1].query
    assert "status" not in query  # polled without a status filter


def test_an_idle_poll_is_one_api_call(make_cdiscount_sandbox):
    sandbox = make_cdiscount_sandbox(orders=5)
    account = account_for(sandbox)
    download(account)
    sandbox.control.clear_requests()

    run = download(account)

    api_calls = [r for r in sandbox.requests() if not r.is_token]
    assert len(api_calls) == 1
    assert run.api_calls == 1
    assert not [r for r in sandbox.requests() if r.is_token]  # the token is shared and cached


def test_orders_moving_between_pages_are_read_again(make_cdiscount_sandbox):
    # given 150 orders: two pages. Before our second page, an order of the first page changes
    # (it leaves the window), which moves every later order one place up: without the count
    # check, the order that slid onto page 1 would be missed.
    sandbox = make_cdiscount_sandbox(orders=150)
    account = account_for(sandbox, allow_unpaid_orders=True)
    client = client_for(account)
    get_page = client.get_orders_page
    moved: list[str] = []

    def page(*, query, page_index=1, page_size=100):
        if page_index == 2 and not moved:
            first = get_page(query=query, page_index=1, page_size=page_size).raw_items[0]
            moved.append(first["orderId"])
            sandbox.control.update_order(first["orderId"], status="Cancelled")
        return get_page(query=query, page_index=page_index, page_size=page_size)

    client.get_orders_page = page

    # when
    run = download_execute(run=run_create(account=account, trigger=SyncRun.Trigger.COMMAND), lock=None, client=client)

    # then every order still in the window was read, thanks to the second pass
    assert run.status == SyncRun.Status.COMPLETED
    assert "read again" in run.log
    expected = set(importable(sandbox, allow_unpaid=True)) - set(moved)
    assert expected <= set(local(account))


def test_the_schedule_claims_each_due_account_once_without_drift():
    now = timezone.now().replace(second=0, microsecond=0)
    due = CdiscountAccountFactory(download_enabled=True, download_interval_minutes=1, next_download_at=now)
    CdiscountAccountFactory(download_enabled=True, next_download_at=now + timedelta(minutes=5))
    CdiscountAccountFactory(download_enabled=False, next_download_at=now)

    assert download_claim_due_accounts(now=now + timedelta(seconds=5)) == [Claim(due.pk, now + timedelta(seconds=5))]
    # a second beat takes the next slot, due before its next tick, to start at its time
    assert download_claim_due_accounts(now=now + timedelta(seconds=6)) == [Claim(due.pk, now + timedelta(minutes=1))]
    assert download_claim_due_accounts(now=now + timedelta(seconds=7)) == []  # and a third nothing
    due.refresh_from_db()
    assert due.next_download_at == now + timedelta(minutes=2)  # from the schedule, not from now


def test_missed_ticks_are_skipped_not_replayed():
    due = timezone.now().replace(second=0, microsecond=0)
    later = due + timedelta(minutes=7, seconds=30)

    assert next_due_after(due=due, interval=timedelta(minutes=1), now=later) == due + timedelta(minutes=8)


def test_a_scheduled_run_that_finds_the_lock_held_exits_without_a_run(make_cdiscount_sandbox):
    sandbox = make_cdiscount_sandbox(orders=5)
    account = account_for(sandbox)
    held = DOWNLOAD.lock(account.pk)

    assert held.acquire()
    try:
        assert download_run_now(account=account, trigger=SyncRun.Trigger.SCHEDULE) is None
    finally:
        held.release()

    assert not SyncRun.objects.exists()


def test_auto_accept_accepts_orders_waiting_for_acceptance_and_records_it(make_cdiscount_sandbox):
    # given two orders waiting for acceptance; Allow UnPaid Order off (auto-accept is independent)
    sandbox = make_cdiscount_sandbox(orders=0)
    waiting = sandbox.control.create_orders(count=2, status="WaitingAcceptance")
    account = account_for(sandbox, auto_accept_orders=True)

    # when
    run = download(account)

    # then both were accepted on the marketplace, once each, and the run's log says so
    posts = [r for r in sandbox.requests(path_contains="/approval-status") if r.method == "POST"]
    assert sorted(r.path.split("/")[-2] for r in posts) == sorted(waiting)
    assert all(sandbox.control.order(order_id)["status"] == "Accepted" for order_id in waiting)
    assert all(order_id in run.log for order_id in waiting)
    assert not Order.objects.filter(channel_order_id__in=waiting).exists()  # unpaid: not imported

    # and with Allow UnPaid Order on, an accepted order that exists gets an OrderEvent
    other = sandbox.control.create_orders(count=1, status="WaitingAcceptance")[0]
    account.allow_unpaid_orders = True
    account.save()
    download(account)
    order = Order.objects.get(channel_order_id=other)
    assert order.events.filter(kind="acceptance", message__startswith="Auto-accepted").exists()
