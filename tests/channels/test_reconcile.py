"""Reconciliation (issue 23) against the sandbox: each kind of difference it is made to produce is
found, each row's fix clears it, and the marketplace is only read."""

from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from django.urls import reverse
from django.utils import timezone

from channels.models import CarrierMapping, Drift, SyncRun
from channels.reconcile import open_drifts, reconcile_run_now
from orders.choices import OrderStatus, UploadStatus
from orders.models import Order, OrderEvent, Package
from orders.services import company_today, order_ship, refund_issue
from tests.channels.conftest import logged_in
from tests.channels.sandbox_helpers import account_for
from tests.channels.test_upload import download
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
Kind = Drift.Kind


@pytest.fixture(autouse=True)
def fast_client(settings):
    settings.CDISCOUNT_HTTP_TIMEOUT = 0.5
    settings.CDISCOUNT_BACKOFF_BASE = 0.005
    settings.CDISCOUNT_MAX_ATTEMPTS = 8


@pytest.fixture
def boss(company):
    user = UserFactory(username="boss")
    MembershipFactory(user=user, company=company, can_view_orders=True, can_process_orders=True,
                      can_cancel_orders=True, can_issue_refunds=True, can_manage_channel=True)  # fmt: skip
    return user


def reconcile(account) -> SyncRun:
    now = timezone.now()
    # To an hour ahead: orders made in one burst carry stamps a few ms past the clock.
    run = reconcile_run_now(account=account, trigger=SyncRun.Trigger.COMMAND, window_to=now + timedelta(hours=1))
    assert run is not None
    run.refresh_from_db()
    return run


def drifted(run) -> dict[str, str]:
    return {d.channel_order_id: d.kind for d in open_drifts(run)}


@pytest.fixture
def scene(make_cdiscount_sandbox, company, boss):
    """Six downloaded InPreparation orders, then one drift of each kind, made as in real life."""
    sandbox = make_cdiscount_sandbox(orders=0)
    account = account_for(sandbox, company=company, upload_enabled=True)
    CarrierMapping.objects.create(account=account, carrier="Colissimo", cdiscount_carrier="Colissimo")
    ids = sandbox.control.create_orders(count=7, status="InPreparation", lines=2)
    download(account)
    cancelled, shipped, lost_upload, deleted, refunded, recut, fine = ids
    local = {o.channel_order_id: o for o in Order.objects.filter(channel_account=account)}
    # Cancelled and shipped on Cdiscount, with no download since
    sandbox.control.set_status(cancelled, "Cancelled")
    sandbox.control.set_status(shipped, "Shipped")
    # Shipped here, the upload recorded as done but never received by Cdiscount
    package = order_ship(order=local[lost_upload], by=boss, carrier="Colissimo", tracking_number="6A0001",
                         ship_date=company_today(local[lost_upload]))  # fmt: skip
    Package.objects.filter(pk=package.pk).update(upload_status=UploadStatus.UPLOADED, uploaded_at=timezone.now())
    # Deleted here by mistake
    local[deleted].delete()
    # Refunded here with no Reference Number
    order = local[refunded]
    refund_issue(order=order, by=boss, payment=order.payments.get(), amount=Decimal("1.00"),
                 refund_date=company_today(order), notes="goodwill", form_token=uuid4())  # fmt: skip
    # A line Cdiscount cancelled, not downloaded yet: its totals and ours differ
    line = sandbox.control.order(recut)["lines"][0]["orderLineId"]
    sandbox.control.update_order(recut, line_status={line: "Cancelled"})
    return sandbox, account, dict(zip(["cancelled", "shipped", "lost_upload", "deleted", "refunded", "recut", "fine"],
                                      ids, strict=True))  # fmt: skip


def test_each_drift_is_found_and_each_fix_clears_its_row(scene, boss, eager_celery, django_capture_on_commit_callbacks):
    sandbox, account, ids = scene
    posts_before = [r for r in sandbox.requests() if r.method != "GET" and not r.is_token]

    # when
    run = reconcile(account)

    # then every kind is found, once, and nothing else; Cdiscount was only read
    assert run.status == SyncRun.Status.COMPLETED, run.error
    assert drifted(run) == {
        ids["cancelled"]: Kind.CANCELLED_THERE,
        ids["shipped"]: Kind.SHIPPED_THERE,
        ids["lost_upload"]: Kind.NOT_SHIPPED_THERE,
        ids["deleted"]: Kind.MISSING_HERE,
        ids["refunded"]: Kind.REFUND_NO_REFERENCE,
        ids["recut"]: Kind.TOTALS_DIFFER,
    }
    assert [r for r in sandbox.requests() if r.method != "GET" and not r.is_token] == posts_before

    # and the page lists them with the counts
    client = logged_in(boss)
    page = client.get(reverse("cdiscount_reconciliation", args=[account.company_id])).content.decode()
    assert page.count("data-drift=") == 6 and "Set Cancelled Internally" in page and "Retry upload" in page

    # when each row's fix is run from the page, its row disappears
    rows = {d.channel_order_id: d for d in open_drifts(run)}
    url = lambda name: reverse("reconcile_drift_fix", args=[rows[ids[name]].pk])  # noqa: E731
    response = client.post(url("refunded"), {"reference_number": "  "}, follow=True)
    assert "Enter the Reference Number" in response.content.decode()
    for name, data in [("cancelled", {}), ("lost_upload", {}), ("refunded", {"reference_number": "RB-77"})]:
        client.post(url(name), data)
        assert ids[name] not in drifted(run), name
    for name in ("shipped", "deleted", "recut"):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(url(name))
        assert ids[name] not in drifted(run), name

    # then our records agree: Cancelled, Ship Confirmed, downloaded again, totals as Cdiscount's
    assert Order.objects.get(channel_order_id=ids["cancelled"]).status == OrderStatus.CANCELED
    assert Order.objects.get(channel_order_id=ids["shipped"]).ship_confirmed_at is not None
    assert Order.objects.filter(channel_order_id=ids["deleted"]).exists()
    assert sandbox.control.order(ids["lost_upload"])["status"] == "Shipped"
    assert OrderEvent.objects.filter(
        order__channel_order_id=ids["lost_upload"], message__contains="does not have"
    ).exists()
    assert drifted(run) == {}
    assert (
        "No differences" in client.get(reverse("cdiscount_reconciliation", args=[account.company_id])).content.decode()
    )

    # and a new run finds nothing left
    assert drifted(reconcile(account)) == {}


def test_open_orders_outside_the_listing_are_read_by_id(make_cdiscount_sandbox, company):
    # given an open order here whose last Cdiscount change is older than the period
    sandbox = make_cdiscount_sandbox(orders=0)
    account = account_for(sandbox, company=company)
    [oid] = sandbox.control.create_orders(status="InPreparation")
    download(account)
    sandbox.control.set_status(oid, "Cancelled")
    now = timezone.now()

    # when the period's listing cannot return it (it ends before the change)
    run = reconcile_run_now(account=account, trigger=SyncRun.Trigger.COMMAND,
                            window_from=now - timedelta(days=14), window_to=now - timedelta(minutes=1))  # fmt: skip

    # then it was read by id and found cancelled there
    assert drifted(run) == {oid: Kind.CANCELLED_THERE}
    assert sandbox.requests(path_contains=f"/orders/{oid}")


def test_a_marketplace_failure_fails_the_run_and_keeps_nothing_half_done(make_cdiscount_sandbox, company, settings):
    settings.CDISCOUNT_MAX_ATTEMPTS = 2
    sandbox = make_cdiscount_sandbox(orders=5)
    account = account_for(sandbox, company=company)
    sandbox.control.set_faults(next_errors=10)
    run = reconcile(account)
    assert run.status == SyncRun.Status.FAILED and run.error
    assert not run.drifts.exists()


def test_reconcile_action_queues_a_run_and_others_cannot(
    scene, boss, company, eager_celery, outsider_client, reader_client, django_capture_on_commit_callbacks
):
    _, account, _ = scene
    url = reverse("cdiscount_reconcile", args=[company.pk])
    assert outsider_client.post(url).status_code == 404
    assert reader_client.post(url).status_code == 403
    assert not SyncRun.objects.filter(kind=SyncRun.Kind.RECONCILE).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in(boss).post(url)
    run = SyncRun.objects.get(kind=SyncRun.Kind.RECONCILE)
    assert response.url == reverse("sync_run", args=[run.pk])
    assert run.status == SyncRun.Status.COMPLETED
    assert (run.window_to - run.window_from) == timedelta(days=14)
    # a reader (View orders, not Cancel orders) sees the rows but not the cancel fix
    page = reader_client.get(reverse("cdiscount_reconciliation", args=[company.pk])).content.decode()
    assert "needs the Cancel orders permission" in page


def test_nightly_task_reconciles_each_downloading_account(scene, eager_celery, django_capture_on_commit_callbacks):
    from channels.tasks import reconcile_nightly_task

    _, account, _ = scene
    with django_capture_on_commit_callbacks(execute=True):
        assert reconcile_nightly_task() == [account.pk]
    run = SyncRun.objects.get(kind=SyncRun.Kind.RECONCILE)
    assert (run.trigger, run.status) == (SyncRun.Trigger.SCHEDULE, SyncRun.Status.COMPLETED)


def test_the_health_card_counts_the_open_drift(scene, boss, company):
    _, account, ids = scene
    client = logged_in(boss)
    settings_url = reverse("cdiscount_settings", args=[company.pk])
    assert "not reconciled yet" in client.get(settings_url).content.decode()
    run = reconcile(account)
    assert '<span class="status status-bad">6</span>' in client.get(settings_url).content.decode()
    cancel = next(d for d in open_drifts(run) if d.kind == Kind.CANCELLED_THERE)
    client.post(reverse("reconcile_drift_fix", args=[cancel.pk]))
    assert '<span class="status status-bad">5</span>' in client.get(settings_url).content.decode()


def test_a_run_whose_worker_died_is_done_again_when_its_task_comes_back(make_cdiscount_sandbox, company):
    from channels.reconcile import RECONCILE, reconcile_run_queued

    # given a queued reconciliation whose worker died mid-run (Processing, its lock expired)
    sandbox = make_cdiscount_sandbox(orders=0)
    account = account_for(sandbox, company=company)
    sandbox.control.create_orders(count=2, status="InPreparation")
    dead = RECONCILE.create(account=account, trigger=SyncRun.Trigger.MANUAL, user=None)
    SyncRun.objects.filter(pk=dead.pk).update(status=SyncRun.Status.PROCESSING)

    # when the task is delivered again (acks_late)
    again = reconcile_run_queued(account_id=account.pk, run_id=dead.pk)

    # then a new run with the same period found what there is to find
    assert again is not None and again.pk != dead.pk
    assert (again.window_from, again.window_to) == (dead.window_from, dead.window_to)
    assert again.status == SyncRun.Status.COMPLETED
