"""Downloads on real Celery worker processes (SPEC S12): a worker killed mid-run loses nothing,
and two downloads of one account at once leave one order per marketplace order."""

import time

import pytest
from django.utils import timezone

from channels.models import SyncRun
from channels.runs import sync_runs_fail_stale
from channels.services import download_run_now
from channels.tasks import download_account_task
from orders.models import Order, Payment
from tests.channels.run_helpers import download_with_a_lock_of_its_own
from tests.channels.sandbox_helpers import account_for, importable, local

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FINISHED = {SyncRun.Status.COMPLETED, SyncRun.Status.PARTIAL, SyncRun.Status.FAILED}


def wait_for(predicate, *, timeout: float, what: str, worker=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.05)
    log = worker.log()[-3000:] if worker else ""
    raise AssertionError(f"Timed out waiting for {what}\n{log}")


def test_worker_killed_mid_run_then_the_next_run_leaves_local_equal_to_the_sandbox(
    make_cdiscount_sandbox, start_worker, settings
):
    # given a slow marketplace (each call 0.25 s) with 450 orders (5 pages), and a worker
    sandbox = make_cdiscount_sandbox(orders=450)
    sandbox.control.set_faults(latency=0.25)
    account = account_for(sandbox)
    worker = start_worker(pool="solo", env={"DOWNLOAD_LOCK_TTL_SECONDS": "3"})

    # when the worker is killed with SIGKILL after it wrote its first page
    download_account_task.apply_async(args=(account.pk,), queue=worker.queue)
    run = wait_for(
        lambda: SyncRun.objects.filter(account=account, pages__gte=1, status=SyncRun.Status.PROCESSING).first(),
        timeout=60,
        what="the first page",
        worker=worker,
    )
    worker.kill()
    partial = Order.objects.filter(channel_account=account).count()
    assert 0 < partial < len(importable(sandbox, allow_unpaid=False))

    # then the next tick marks it Failed (its heartbeat stopped), and the next run completes
    settings.DOWNLOAD_STALE_SECONDS = 1
    sandbox.control.set_faults(latency=0)
    time.sleep(3.5)  # the killed run's lock expires (3 s) and its heartbeat goes stale (1 s)
    assert sync_runs_fail_stale() == 1
    run.refresh_from_db()
    assert run.status == SyncRun.Status.FAILED
    assert "no heartbeat" in run.error
    account.refresh_from_db()
    assert account.download_watermark is None  # the killed run never moved it

    settings.CDISCOUNT_HTTP_TIMEOUT = 0.5
    settings.CDISCOUNT_BACKOFF_BASE = 0.005
    next_run = download_run_now(account=account, trigger=SyncRun.Trigger.SCHEDULE)

    assert next_run is not None and next_run.status == SyncRun.Status.COMPLETED
    assert local(account) == importable(sandbox, allow_unpaid=False)
    for order in Order.objects.filter(channel_account=account):
        assert order.payments.count() == 1


def test_two_downloads_of_one_account_at_once_leave_no_duplicate(make_cdiscount_sandbox, start_worker):
    # given two worker processes whose runs each hold a lock of their own, to prove the upsert alone holds
    sandbox = make_cdiscount_sandbox(orders=180)
    sandbox.control.set_faults(latency=0.02)
    account = account_for(sandbox)
    worker = start_worker(pool="prefork", concurrency=2, include="tests.channels.run_helpers")

    # when two downloads of the same account run at once
    for _ in range(2):
        download_with_a_lock_of_its_own.apply_async(args=(account.pk,), queue=worker.queue)
    runs = wait_for(
        lambda: (
            list(SyncRun.objects.filter(account=account))
            if SyncRun.objects.filter(account=account, status__in=FINISHED).count() == 2
            else None
        ),
        timeout=120,
        what="both runs to finish",
        worker=worker,
    )

    # then both completed, with one order per marketplace order, and counts that add up
    expected = importable(sandbox, allow_unpaid=False)
    assert [r.status for r in runs] == [SyncRun.Status.COMPLETED] * 2, [r.error for r in runs]
    assert local(account) == expected
    assert Order.objects.filter(channel_account=account).count() == len(expected)
    assert Payment.objects.filter(order__channel_account=account).count() == len(expected)
    assert sum(r.created for r in runs) == len(expected)
    for r in runs:
        assert r.created + r.updated + r.unchanged == len(expected)
        assert r.created + r.updated + r.unchanged + r.skipped == 180
    assert all(r.finished_at <= timezone.now() for r in runs)
