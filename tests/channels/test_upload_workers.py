"""Uploads on real Celery worker processes (SPEC S6, S12): a task delivered twice at once, and a
worker killed with SIGKILL mid-run, still post every package exactly once."""

from __future__ import annotations

import pytest
from django.db.models import Count

from channels.models import SyncRun
from channels.runs import sync_runs_fail_stale
from channels.tasks import upload_account_task
from channels.upload import UPLOAD, upload_run_now
from orders.choices import UploadStatus
from orders.models import Order, Package
from tests.channels.run_helpers import upload_with_a_lock_of_its_own
from tests.channels.test_download_workers import wait_for
from tests.channels.test_upload import recorded, setup_shipped, shipment_posts

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.slow]

FINISHED = {SyncRun.Status.COMPLETED, SyncRun.Status.PARTIAL, SyncRun.Status.FAILED}


@pytest.fixture(autouse=True)
def fast_client(settings):
    settings.CDISCOUNT_HTTP_TIMEOUT = 0.5
    settings.CDISCOUNT_BACKOFF_BASE = 0.005
    settings.CDISCOUNT_MAX_ATTEMPTS = 8


def assert_each_order_posted_once(sandbox, packages):
    for package in packages:
        cid = package.order.channel_order_id
        assert len(recorded(shipment_posts(sandbox, cid))) == 1, cid
        for line in sandbox.control.order(cid)["lines"]:
            assert [p["parcelNumber"] for p in line["parcels"]] == [package.tracking_number]


def test_the_task_delivered_twice_at_once_posts_each_package_once(make_cdiscount_sandbox, start_worker):
    # given 30 packages, a marketplace slow enough for the runs to overlap, two worker processes
    sandbox = make_cdiscount_sandbox(orders=0)
    account, packages = setup_shipped(sandbox, count=30)
    sandbox.control.set_faults(latency=0.05)
    worker = start_worker(pool="prefork", concurrency=2, include="tests.channels.run_helpers")

    # when two upload runs go at once, each with a lock of its own (the claims alone must hold)
    for _ in range(2):
        upload_with_a_lock_of_its_own.apply_async(args=(account.pk,), queue=worker.queue)
    wait_for(
        lambda: SyncRun.objects.filter(account=account, kind="upload", status__in=FINISHED).count() == 2,
        timeout=120,
        what="both upload runs",
        worker=worker,
    )

    # then every package is Uploaded, posted once, and the two runs shared them out
    assert set(Package.objects.filter(order__channel_account=account).values_list("upload_status", flat=True)) == {
        UploadStatus.UPLOADED
    }
    assert len(shipment_posts(sandbox)) == 30
    assert_each_order_posted_once(sandbox, packages)
    runs = SyncRun.objects.filter(account=account, kind="upload")
    assert sum(r.uploaded for r in runs) == 30


def test_a_worker_killed_mid_upload_loses_nothing_and_posts_nothing_twice(
    make_cdiscount_sandbox, start_worker, settings
):
    # given 60 packages, a slow marketplace (0.25 s a call) and one worker
    sandbox = make_cdiscount_sandbox(orders=0)
    account, packages = setup_shipped(sandbox, count=60)
    sandbox.control.set_faults(latency=0.25)
    worker = start_worker(pool="solo", env={"UPLOAD_LOCK_TTL_SECONDS": "3"})

    # when the worker is killed with SIGKILL while uploads are in flight
    upload_account_task.apply_async(args=(account.pk,), queue=worker.queue)
    wait_for(
        lambda: Package.objects.filter(order__channel_account=account, upload_status="uploaded").count() >= 8,
        timeout=120,
        what="the first uploads",
        worker=worker,
    )
    worker.kill()
    assert Package.objects.filter(order__channel_account=account, upload_status="pending").exists()

    # then, once its lock expired and its claims went stale, the next tick marks its run Failed ...
    sandbox.control.set_faults(latency=0)
    wait_for(lambda: not UPLOAD.lock(account.pk).is_held(), timeout=30, what="lock expiry")
    settings.DOWNLOAD_STALE_SECONDS = 1
    settings.UPLOAD_CLAIM_STALE_SECONDS = 0
    wait_for(lambda: sync_runs_fail_stale() == 1, timeout=30, what="the killed run marked Failed")
    # ... and the next run reads back the posts whose answer the kill lost, and uploads the rest
    Package.objects.filter(upload_status="pending").update(next_upload_at=None)
    run = upload_run_now(account=account, trigger=SyncRun.Trigger.SCHEDULE)

    assert run is not None and run.status == SyncRun.Status.COMPLETED
    statuses = Package.objects.filter(order__channel_account=account).values("upload_status").annotate(n=Count("pk"))
    assert list(statuses) == [{"upload_status": UploadStatus.UPLOADED, "n": 60}]
    assert not Order.objects.filter(channel_account=account, ship_confirmed_at__isnull=True).exists()
    assert_each_order_posted_once(sandbox, packages)
