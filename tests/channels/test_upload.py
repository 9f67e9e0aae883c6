"""The fulfillment upload against the sandbox over real HTTP on loopback (SPEC S6, S8, S12; issue #9).

Each test downloads InPreparation orders from a sandbox, ships them locally (a Pending package
each), then runs uploads and checks both sides: our packages and orders, and what the sandbox
received and recorded. "Time passing" between runs is simulated by making deferred packages due.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import DataError, connections
from django.utils import timezone

from channels.dispatch import packages_retry_failed, upload_request
from channels.models import CarrierMapping, SyncRun
from channels.services import download_run_now
from channels.upload import (
    UPLOAD,
    package_retry_upload,
    package_upload_by_hand,
    upload_claim_due_accounts,
    upload_run_now,
)
from orders.choices import EventKind, OrderStatus, UploadStatus
from orders.holds import order_release_hold
from orders.models import Order, OrderEvent, Package
from orders.rules import OrderRuleError
from orders.services import company_today, order_cancel_internally, order_ship
from tests.channels.run_helpers import run_with_a_lock_of_its_own
from tests.channels.sandbox_helpers import account_for
from tests.factories import CdiscountAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

TEMPLATE = "https://www.laposte.fr/outils/suivre-vos-envois?code={tracking_number}"


@pytest.fixture(autouse=True)
def fast_client(settings):
    # SPEC S12: small timeouts and millisecond backoff in CI; a real (minutes) upload backoff.
    settings.CDISCOUNT_HTTP_TIMEOUT = 0.5
    settings.CDISCOUNT_BACKOFF_BASE = 0.005
    settings.CDISCOUNT_MAX_ATTEMPTS = 8
    settings.UPLOAD_BACKOFF_BASE_SECONDS = 60


def setup_shipped(sandbox, *, count=1, carrier="La Poste Colissimo", lines=None, upload_enabled=True, **account):
    """An account on the sandbox with `count` downloaded InPreparation orders, each shipped here."""
    acct = account_for(sandbox, upload_enabled=upload_enabled, **account)
    CarrierMapping.objects.create(
        account=acct, carrier="La Poste Colissimo", cdiscount_carrier="Colissimo", tracking_url_template=TEMPLATE
    )
    ids = sandbox.control.create_orders(count=count, status="InPreparation", lines=lines)
    download(acct)
    packages = [ship(Order.objects.get(channel_account=acct, channel_order_id=cid), carrier=carrier) for cid in ids]
    return acct, packages


def download(account) -> None:
    """Download the sandbox's orders. A window into the future: orders created in one burst get
    stamps a few milliseconds ahead of the clock (updatedAt always moves forward)."""
    now = timezone.now()
    run = download_run_now(
        account=account,
        trigger=SyncRun.Trigger.COMMAND,
        date_from=now - timedelta(days=1),
        date_to=now + timedelta(hours=1),
    )
    assert run is not None and run.status == SyncRun.Status.COMPLETED


def ship(order, *, carrier="La Poste Colissimo") -> Package:
    return order_ship(
        order=order,
        by=None,
        carrier=carrier,
        tracking_number=f"6A{order.channel_order_id}",
        ship_date=company_today(order),
    )


def upload(account, **kwargs) -> SyncRun:
    run = upload_run_now(account=account, trigger=SyncRun.Trigger.COMMAND, **kwargs)
    assert run is not None
    run.refresh_from_db()
    return run


def shipment_posts(sandbox, order_id=None):
    """The POSTs to /shipments the sandbox received (for one order, or all)."""
    path = f"/orders/{order_id}/shipments" if order_id else "/shipments"
    return [r for r in sandbox.requests(path_contains=path) if r.method == "POST"]


def recorded(posts):
    """The POSTs the sandbox recorded as a shipment (answered 201, or answered 201 and lost)."""
    return [r for r in posts if r.status == 201]


def time_passes():
    """Deferred packages become due (as they would after their backoff)."""
    Package.objects.filter(upload_status=UploadStatus.PENDING).update(next_upload_at=timezone.now())


def reload(package) -> Package:
    package.refresh_from_db()
    return package


# The happy path ------------------------------------------------------------------------------


def test_a_pending_package_is_posted_once_with_the_right_body_and_confirms_the_order(make_cdiscount_sandbox):
    # given an order of three lines: one cancelled, one with a customer cancellation request
    sandbox = make_cdiscount_sandbox(orders=0)
    acct = account_for(sandbox, upload_enabled=True)
    CarrierMapping.objects.create(
        account=acct, carrier="La Poste Colissimo", cdiscount_carrier="Colissimo", tracking_url_template=TEMPLATE
    )
    (cid,) = sandbox.control.create_orders(count=1, status="InPreparation", lines=3)
    line_a, line_b, line_c = [line["orderLineId"] for line in sandbox.control.order(cid)["lines"]]
    sandbox.control.update_order(cid, line_status={line_a: "Cancelled", line_b: "CancelRequest"})
    download(acct)
    order = Order.objects.get(channel_account=acct, channel_order_id=cid)
    order_release_hold(order=order, by=UserFactory(), note="The customer kept it")  # CancelRequest lines ship
    package = ship(Order.objects.get(pk=order.pk))
    assert package.upload_status == UploadStatus.PENDING

    # when
    run = upload(acct)

    # then one POST, with the parcel's number, the mapped carrier, the URL and the live lines
    posts = shipment_posts(sandbox, cid)
    assert len(posts) == 1
    assert posts[0].body == [
        {
            "parcelNumber": f"6A{cid}",
            "carrierName": "Colissimo",
            "trackingUrl": TEMPLATE.format(tracking_number=f"6A{cid}"),
            "orderLineIds": [line_b, line_c],
        }
    ]
    package = reload(package)
    assert package.upload_status == UploadStatus.UPLOADED
    assert (package.upload_attempts, package.upload_error, package.upload_claimed_at) == (1, "", None)
    assert package.uploaded_at is not None
    order.refresh_from_db()
    assert order.ship_confirmed_at is not None
    event = order.events.filter(kind=EventKind.UPLOAD).get()
    assert "Ship Confirmed" in event.message and event.source == "Cdiscount"
    assert sandbox.control.order(cid)["status"] == "Shipped"
    assert (run.kind, run.status, run.uploaded, run.failed, run.skipped) == ("upload", "completed", 1, 0, 0)
    assert run.api_calls == 1
    assert run.started_at and run.finished_at and run.heartbeat_at

    # when another run comes: nothing to do
    again = upload(acct)
    assert (again.uploaded, again.api_calls) == (0, 0)
    assert len(shipment_posts(sandbox, cid)) == 1


def test_an_unmapped_carrier_that_is_a_cdiscount_label_is_sent_as_is(make_cdiscount_sandbox):
    sandbox = make_cdiscount_sandbox(orders=0)
    acct, (package,) = setup_shipped(sandbox, carrier="dpd")

    upload(acct)

    assert reload(package).upload_status == UploadStatus.UPLOADED
    assert shipment_posts(sandbox)[0].body[0]["carrierName"] == "DPD"
    assert "trackingUrl" not in shipment_posts(sandbox)[0].body[0]  # no URL, no template: none sent


def test_a_stored_tracking_url_that_is_not_http_is_never_posted(make_cdiscount_sandbox):
    # given a pending package whose URL was stored before URLs were checked (issue 13)
    sandbox = make_cdiscount_sandbox(orders=0)
    acct, (package,) = setup_shipped(sandbox)
    Package.objects.filter(pk=package.pk).update(tracking_url="javascript:alert(document.domain)")

    # when
    upload(acct)

    # then the carrier's template gives the URL sent instead
    assert reload(package).upload_status == UploadStatus.UPLOADED
    body = shipment_posts(sandbox)[0].body[0]
    assert body["trackingUrl"] == TEMPLATE.format(tracking_number=package.tracking_number)


def test_an_unknown_carrier_fails_with_what_to_do_and_posts_nothing(make_cdiscount_sandbox):
    sandbox = make_cdiscount_sandbox(orders=0)
    acct, (package,) = setup_shipped(sandbox, carrier="Coursier Martin")

    run = upload(acct)

    package = reload(package)
    assert package.upload_status == UploadStatus.FAILED
    assert package.upload_error == (
        "carrier Coursier Martin is not mapped to a Cdiscount carrier: add it under General Settings > Fulfillment"
    )
    assert shipment_posts(sandbox) == []
    assert (run.status, run.failed) == ("partial", 1)


INTERNALS = ("DataError", "character varying", "invalid literal", "Traceback", "ValueError")


def test_a_package_our_code_fails_on_stays_pending_with_an_error_in_peoples_words(make_cdiscount_sandbox, monkeypatch):
    sandbox = make_cdiscount_sandbox(orders=0)
    acct, (package,) = setup_shipped(sandbox)

    def fail(*args, **kwargs):
        raise DataError("value too long for type character varying(50)")

    monkeypatch.setattr("channels.upload.engine.upload_package", fail)

    run = upload(acct)

    package = reload(package)
    assert package.upload_status == UploadStatus.PENDING
    assert package.upload_error == (
        "Not sent: an error in our software stopped it (the details are in the server log, "
        "event=upload_package_crashed). The package is tried again by a later run."
    )
    assert not any(word in package.upload_error + run.log for word in INTERNALS)
    assert shipment_posts(sandbox) == []


def test_an_upload_our_code_crashes_on_fails_in_peoples_words(make_cdiscount_sandbox, monkeypatch):
    sandbox = make_cdiscount_sandbox(orders=0)
    acct, (package,) = setup_shipped(sandbox)

    def crash(*args, **kwargs):
        raise ValueError("invalid literal for int() with base 10: 'x'")

    monkeypatch.setattr("channels.upload.engine.run_each", crash)

    run = upload(acct)

    assert run.error.startswith("The upload stopped: an error in our software stopped it")
    assert not any(word in run.error for word in INTERNALS)
    assert reload(package).upload_status == UploadStatus.PENDING


# Refusals ------------------------------------------------------------------------------------


def test_an_order_not_in_preparation_is_failed_with_cdiscounts_words_and_only_a_user_retries_it(
    make_cdiscount_sandbox,
):
    # given an order that Cdiscount moved back to Accepted
    sandbox = make_cdiscount_sandbox(orders=0)
    acct, (package,) = setup_shipped(sandbox)
    cid = package.order.channel_order_id
    sandbox.control.set_status(cid, "Accepted")

    # when
    run = upload(acct)

    # then Failed with the marketplace's own message, shown on the order
    package = reload(package)
    assert package.upload_status == UploadStatus.FAILED
    assert package.upload_error.startswith("Cdiscount refused the shipment (HTTP 400): Validation Failed")
    assert f"Cannot switch to shipped status: order {cid} is Accepted, not InPreparation" in package.upload_error
    assert "status: Order status is Accepted" in package.upload_error
    event = OrderEvent.objects.filter(order=package.order, kind=EventKind.UPLOAD).get()
    assert event.message.startswith("Tracking upload to Cdiscount failed: Cdiscount refused the shipment")
    assert event.data["status"] == 400
    assert (run.status, run.failed, run.uploaded) == ("partial", 1, 0)
    assert package.order.__class__.objects.get(pk=package.order_id).ship_confirmed_at is None

    # when the next runs come: not retried
    time_passes()
    upload(acct)
    assert len(shipment_posts(sandbox, cid)) == 1
    assert reload(package).upload_status == UploadStatus.FAILED

    # when a user retries after fixing it on Cdiscount: read first, then posted
    sandbox.control.set_status(cid, "InPreparation")
    sandbox.control.clear_requests()
    user = UserFactory()
    package = package_retry_upload(package=package, by=user)

    assert package.upload_status == UploadStatus.UPLOADED
    assert [(r.method, r.status) for r in sandbox.requests(path_contains=f"/orders/{cid}")] == [
        ("GET", 200),
        ("POST", 201),
    ]
    retry_run = SyncRun.objects.filter(kind=SyncRun.Kind.UPLOAD, trigger=SyncRun.Trigger.RETRY).get()
    assert (retry_run.user, retry_run.uploaded, retry_run.api_calls) == (user, 1, 2)
    assert OrderEvent.objects.filter(order=package.order, kind=EventKind.UPLOAD, user=user).count() == 2


def test_a_second_parcel_is_refused_and_a_retry_reads_and_fails_without_posting(make_cdiscount_sandbox):
    # given an order that already has another parcel on Cdiscount (shipped on the portal)
    sandbox = make_cdiscount_sandbox(orders=0)
    acct, (package,) = setup_shipped(sandbox)
    cid = package.order.channel_order_id
    sandbox.control.update_order(
        cid, status="Shipped", parcel={"parcelNumber": "PORTAL1", "carrierName": "DPD", "trackingUrl": None}
    )

    upload(acct)

    package = reload(package)
    assert package.upload_status == UploadStatus.FAILED
    assert "Cdiscount refused the shipment (HTTP 409): Conflict" in package.upload_error
    assert "Cannot switch to shipped status: the order is already shipped" in package.upload_error

    # a user's retry reads the order, sees the other parcel, and posts nothing
    package = package_retry_upload(package=package, by=UserFactory())
    assert package.upload_status == UploadStatus.FAILED
    assert "already has parcel PORTAL1" in package.upload_error
    assert len(shipment_posts(sandbox, cid)) == 1


def test_an_upload_refused_because_the_customer_cancelled_says_so_and_the_order_shows_it(make_cdiscount_sandbox):
    # given an order shipped here, then cancelled on Cdiscount before the upload ran
    sandbox = make_cdiscount_sandbox(orders=0)
    acct, (package,) = setup_shipped(sandbox)
    cid = package.order.channel_order_id
    sandbox.control.set_status(cid, "Cancelled")

    upload(acct)

    # then the message is built from what Cdiscount shows, and the order shows it at once
    package = reload(package)
    assert package.upload_status == UploadStatus.FAILED
    assert package.upload_error.startswith("Cdiscount cancelled this order on ")
    assert package.upload_error.endswith(". The tracking was not uploaded.")
    order = Order.objects.get(pk=package.order_id)
    assert (order.status, order.channel_status) == (OrderStatus.PROBLEM, "Cancelled")
    assert order.events.filter(message__contains="but we shipped it: contact the customer").exists()
    assert len(shipment_posts(sandbox, cid)) == 1  # refused, never posted again


def test_bulk_retry_sets_failed_packages_pending_and_queues_one_run(
    make_cdiscount_sandbox, django_capture_on_commit_callbacks, monkeypatch
):
    sandbox = make_cdiscount_sandbox(orders=0)
    acct, packages = setup_shipped(sandbox, count=3)
    for p in packages:
        sandbox.control.set_status(p.order.channel_order_id, "Accepted")
    upload(acct)
    assert {reload(p).upload_status for p in packages} == {UploadStatus.FAILED}
    for p in packages:
        sandbox.control.set_status(p.order.channel_order_id, "InPreparation")
    queued = []
    monkeypatch.setattr("channels.tasks.upload_account_task.delay", lambda *args: queued.append(args))

    # when a user retries two of them
    with django_capture_on_commit_callbacks(execute=True):
        result = packages_retry_failed(account=acct, by=UserFactory(), package_ids=[packages[0].pk, packages[1].pk])

    # then those two are Pending, one run is queued, and that run uploads them (reading first)
    assert result.count == 2 and result.run is not None and result.running is None
    assert queued == [(acct.pk, result.run.pk)]
    assert [reload(p).upload_status for p in packages] == [UploadStatus.PENDING] * 2 + [UploadStatus.FAILED]
    run = upload(acct, run=result.run)
    assert (run.pk, run.uploaded, run.trigger) == (result.run.pk, 2, SyncRun.Trigger.MANUAL)
    assert [reload(p).upload_status for p in packages] == [UploadStatus.UPLOADED] * 2 + [UploadStatus.FAILED]
    for p in packages[:2]:
        assert len(recorded(shipment_posts(sandbox, p.order.channel_order_id))) == 1
        assert [r.method for r in sandbox.requests(path_contains=p.order.channel_order_id)][-2:] == ["GET", "POST"]


# Temporary faults ----------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["next_errors", "next_timeouts"])
def test_a_temporary_fault_keeps_it_pending_with_a_backoff_and_a_later_run_uploads_it_once(
    make_cdiscount_sandbox, fault
):
    sandbox = make_cdiscount_sandbox(orders=0)
    acct, (package,) = setup_shipped(sandbox)
    cid = package.order.channel_order_id
    sandbox.control.set_faults(**{fault: 1})
    before = timezone.now()

    run = upload(acct)

    package = reload(package)
    assert package.upload_status == UploadStatus.PENDING
    assert package.upload_attempts == 1
    assert package.next_upload_at > before + timedelta(seconds=30)
    assert package.upload_claimed_at is None
    assert package.upload_error.startswith("Temporary error on attempt 1")
    assert (run.status, run.uploaded, run.failed) == ("partial", 0, 0)
    assert "retried by a later run" in run.log

    # not due yet: the next run leaves it alone
    upload(acct)
    assert len(shipment_posts(sandbox, cid)) == 1

    # when it is due: read first (nothing there), then posted, exactly once recorded
    time_passes()
    upload(acct)
    package = reload(package)
    assert (package.upload_status, package.upload_attempts) == (UploadStatus.UPLOADED, 2)
    assert len(recorded(shipment_posts(sandbox, cid))) == 1
    assert len(sandbox.control.order(cid)["lines"][0]["parcels"]) == 1


def test_a_lost_answer_is_read_back_and_never_posted_again(make_cdiscount_sandbox):
    # given a shipment that Cdiscount records but whose answer is lost
    sandbox = make_cdiscount_sandbox(orders=0)
    acct, (package,) = setup_shipped(sandbox)
    cid = package.order.channel_order_id
    sandbox.control.set_faults(next_lost_answers=1)

    upload(acct)
    assert reload(package).upload_status == UploadStatus.PENDING

    # when the next attempt comes
    time_passes()
    run = upload(acct)

    # then it read the order, saw its parcel, and marked it Uploaded without posting again
    package = reload(package)
    assert package.upload_status == UploadStatus.UPLOADED
    assert len(shipment_posts(sandbox, cid)) == 1
    assert [r.method for r in sandbox.requests(path_contains=f"/orders/{cid}")] == ["POST", "GET"]
    assert (run.uploaded, run.api_calls) == (1, 1)
    assert package.order.events.filter(kind=EventKind.UPLOAD, message__contains="already on Cdiscount").exists()
    assert Order.objects.get(pk=package.order_id).ship_confirmed_at is not None


def test_a_rate_limit_waits_its_retry_after_and_sends_again_in_the_same_run(make_cdiscount_sandbox):
    sandbox = make_cdiscount_sandbox(orders=0)
    acct, (package,) = setup_shipped(sandbox)
    sandbox.control.set_faults(next_rate_limits=1, retry_after=0.05)

    run = upload(acct)

    assert reload(package).upload_status == UploadStatus.UPLOADED
    assert [r.status for r in shipment_posts(sandbox)] == [429, 201]
    assert run.status == "completed"


def test_refused_credentials_fail_the_run_and_leave_the_packages_pending(make_cdiscount_sandbox):
    sandbox = make_cdiscount_sandbox(orders=0)
    acct, (package,) = setup_shipped(sandbox)
    acct.seller_id = "11111"  # the client is not linked to that seller: 403
    acct.save()

    run = upload(acct)

    assert run.status == "failed" and "credentials" in run.error
    package = reload(package)
    assert (package.upload_status, package.upload_claimed_at) == (UploadStatus.PENDING, None)


# Who never posts ------------------------------------------------------------------------------


def test_a_withdrawn_package_is_never_posted(make_cdiscount_sandbox):
    sandbox = make_cdiscount_sandbox(orders=0)
    acct, (package,) = setup_shipped(sandbox)
    order_cancel_internally(order=package.order, by=UserFactory(), reason="Out of stock")
    assert reload(package).upload_status == UploadStatus.WITHDRAWN

    run = upload(acct)

    assert shipment_posts(sandbox) == []
    assert reload(package).upload_status == UploadStatus.WITHDRAWN
    assert (run.uploaded, run.api_calls) == (0, 0)


def test_a_package_claimed_by_another_run_is_skipped(make_cdiscount_sandbox):
    sandbox = make_cdiscount_sandbox(orders=0)
    acct, (package,) = setup_shipped(sandbox)
    Package.objects.filter(pk=package.pk).update(upload_claimed_at=timezone.now())

    run = upload(acct)

    assert shipment_posts(sandbox) == []
    assert run.uploaded == 0


def test_a_run_that_finds_the_lock_held_exits_without_a_run(make_cdiscount_sandbox):
    sandbox = make_cdiscount_sandbox(orders=0)
    acct, _ = setup_shipped(sandbox)
    lock = UPLOAD.lock(acct.pk)
    assert lock.acquire()
    try:
        assert upload_run_now(account=acct, trigger=SyncRun.Trigger.SCHEDULE) is None
        assert not SyncRun.objects.filter(kind=SyncRun.Kind.UPLOAD).exists()
    finally:
        lock.release()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_post_each_package_exactly_once(make_cdiscount_sandbox):
    # given 24 packages and a marketplace slow enough for the runs to overlap
    sandbox = make_cdiscount_sandbox(orders=0)
    acct, packages = setup_shipped(sandbox, count=24)
    sandbox.control.set_faults(latency=0.02)
    runs = []

    def one_run():
        try:
            runs.append(run_with_a_lock_of_its_own(UPLOAD, account=acct))
        finally:
            connections.close_all()  # this thread's own connection

    # when two runs (each with a lock of its own) go at once, each with its thread pool
    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    # then every package is posted once: the claims share them out
    assert {reload(p).upload_status for p in packages} == {UploadStatus.UPLOADED}
    posts = shipment_posts(sandbox)
    assert len(posts) == 24
    assert len({r.path for r in posts}) == 24
    for run in runs:
        run.refresh_from_db()
    assert sum(r.uploaded for r in runs) == 24
    assert sum(r.uploaded + r.skipped for r in runs) <= 48


# Upload by hand and requests ------------------------------------------------------------------


def test_a_not_required_package_is_uploaded_by_hand_at_once(make_cdiscount_sandbox):
    sandbox = make_cdiscount_sandbox(orders=0)
    acct, (package,) = setup_shipped(sandbox, upload_enabled=False)
    assert package.upload_status == UploadStatus.NOT_REQUIRED
    upload(acct)
    assert shipment_posts(sandbox) == []  # upload off: runs leave it alone

    package = package_upload_by_hand(package=package, by=UserFactory())

    assert package.upload_status == UploadStatus.UPLOADED
    assert len(shipment_posts(sandbox)) == 1
    with pytest.raises(OrderRuleError):
        package_upload_by_hand(package=package, by=UserFactory())


def test_upload_now_queues_one_run_or_reports_the_running_one(
    make_cdiscount_sandbox, django_capture_on_commit_callbacks, monkeypatch
):
    sandbox = make_cdiscount_sandbox(orders=0)
    acct = account_for(sandbox, upload_enabled=True)
    queued = []
    monkeypatch.setattr("channels.tasks.upload_account_task.delay", lambda *args: queued.append(args))

    with django_capture_on_commit_callbacks(execute=True):
        request = upload_request(account=acct, user=UserFactory())

    assert request.running is None and request.run.status == SyncRun.Status.QUEUED
    assert queued == [(acct.pk, request.run.pk)]

    lock = UPLOAD.lock(acct.pk)
    assert lock.acquire()
    try:
        SyncRun.objects.filter(pk=request.run.pk).update(status=SyncRun.Status.PROCESSING)
        again = upload_request(account=acct, user=UserFactory())
        assert again.run is None and again.running.pk == request.run.pk
    finally:
        lock.release()


# Schedule --------------------------------------------------------------------------------------


def test_the_upload_schedule_claims_each_due_account_once_without_drift(
    django_capture_on_commit_callbacks, monkeypatch
):
    now = timezone.now()
    due = CdiscountAccountFactory(upload_enabled=True, upload_interval_minutes=5, next_upload_at=now)
    CdiscountAccountFactory(upload_enabled=False, next_upload_at=now)  # upload off
    CdiscountAccountFactory(upload_enabled=True, next_upload_at=now + timedelta(hours=1))  # not due

    assert [c.account_id for c in upload_claim_due_accounts(now=now + timedelta(seconds=5))] == [due.pk]
    assert upload_claim_due_accounts(now=now + timedelta(seconds=6)) == []  # a second beat
    due.refresh_from_db()
    assert due.next_upload_at == now + timedelta(minutes=5)  # from the schedule, not from now

    # missed ticks after a downtime are skipped, not replayed
    assert [c.account_id for c in upload_claim_due_accounts(now=now + timedelta(minutes=17))] == [due.pk]
    due.refresh_from_db()
    assert due.next_upload_at == now + timedelta(minutes=20)

    # the beat task queues one upload per claimed account, after commit
    from channels.tasks import upload_tick_task

    queued = []
    monkeypatch.setattr("channels.tasks.upload_account_task.apply_async", lambda args, eta: queued.append((args, eta)))
    slot = timezone.now() - timedelta(seconds=1)
    type(due).objects.filter(pk=due.pk).update(next_upload_at=slot)
    with django_capture_on_commit_callbacks(execute=True):
        assert upload_tick_task() == [due.pk]
    ((args, eta),) = queued
    assert args == (due.pk,) and slot < eta <= timezone.now()  # overdue: at once
