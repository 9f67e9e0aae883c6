"""Import Tracking jobs on real Celery worker processes and real concurrency (issue 14, point 2;
SPEC S6, S12): a worker killed with SIGKILL mid-import leaves each row applied once or not at all,
and the job then finishes, by Resume or by the task delivered again; two runs at once ship each
row once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from orders import tracking_import_jobs as jobs
from orders.choices import Channel, PaymentStatus
from orders.models import Order, OrderEvent, Package, TrackingImportJob
from orders.tasks import tracking_import_job_task
from tests.channels.test_download_workers import wait_for
from tests.factories import CompanyFactory, MembershipFactory, OrderFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.slow]

Status = TrackingImportJob.Status
ROWS = 800
BAD_EVERY = 9  # every 9th row has a tracking number with a space: reported, not shipped


@pytest.fixture
def clerk_and_orders():
    company = CompanyFactory()
    clerk = UserFactory()
    MembershipFactory(user=clerk, company=company, can_view_orders=True, can_process_orders=True)
    # A channel without the one-parcel rule: only the job's bookkeeping keeps a row from shipping twice.
    built = OrderFactory.build_batch(
        ROWS, company=company, channel=Channel.AMAZON, channel_account=None, payment_status=PaymentStatus.CHARGED
    )
    orders = Order.objects.bulk_create(built)
    return clerk, orders


def is_bad(i: int) -> bool:
    return i % BAD_EVERY == BAD_EVERY - 1


def tracking_csv(orders: list[Order]) -> bytes:
    lines = ["Order ID;Carrier;Tracking Number"]
    lines += [f"{o.pk};Colissimo;{'6A ' if is_bad(i) else '6A'}{i:05}" for i, o in enumerate(orders)]
    return ("\n".join(lines) + "\n").encode()


def assert_consistent(job: TrackingImportJob, orders: list[Order]) -> int:
    """Rows before next_row: each reported once, each good one shipped once; rows after: neither.
    Returns next_row."""
    job.refresh_from_db()
    done = job.next_row
    assert list(job.rows.order_by("row").values_list("row", flat=True)) == list(range(2, done + 2))
    packages = dict(Package.objects.values_list("order_id", "tracking_number"))
    assert len(packages) == Package.objects.count()  # never two packages for one order
    expected = {o.pk: f"6A{i:05}" for i, o in enumerate(orders[:done]) if not is_bad(i)}
    assert packages == expected
    assert OrderEvent.objects.filter(kind="shipment").count() == len(expected)
    assert (job.shipped, job.errors) == (len(expected), done - len(expected))
    return done


def kill_mid_import(start_worker, clerk, orders) -> tuple[TrackingImportJob, int]:
    worker = start_worker(pool="solo")
    job = jobs.tracking_import_job_create(file=tracking_csv(orders), user=clerk, name="suivi.csv")
    tracking_import_job_task.apply_async(args=(job.pk,), queue=worker.queue)
    wait_for(
        lambda: TrackingImportJob.objects.filter(pk=job.pk, next_row__gte=150).exists(),
        timeout=120,
        what="150 rows imported",
        worker=worker,
    )
    worker.kill()
    done = assert_consistent(job, orders)
    assert 150 <= done < ROWS and job.status == Status.RUNNING
    return job, done


def test_a_worker_killed_mid_import_then_resume_applies_every_row_once(
    start_worker, clerk_and_orders, client, settings, monkeypatch
):
    # given an import whose worker was killed with SIGKILL part-way (the batch in flight rolled back)
    clerk, orders = clerk_and_orders
    job, done = kill_mid_import(start_worker, clerk, orders)

    # when its heartbeat is stale, the page says Failed, where it stopped, and offers Resume
    settings.ORDERS_IMPORT_STALE_SECONDS = 1
    wait_for(lambda: jobs._is_stale(TrackingImportJob.objects.get(pk=job.pk)), timeout=10, what="a stale heartbeat")
    client.force_login(clerk)
    html = client.get(reverse("orders:import_tracking_job", args=[job.pk])).content.decode()
    assert f"The import stopped at row {done + 2}: its worker gave no sign of life" in html and ">Resume<" in html

    # and the user resumes it, on another worker
    worker = start_worker(pool="solo")
    monkeypatch.setattr(
        tracking_import_job_task,
        "delay",
        lambda job_id: tracking_import_job_task.apply_async((job_id,), queue=worker.queue),
    )
    client.post(reverse("orders:import_tracking_job_resume", args=[job.pk]))
    wait_for(
        lambda: TrackingImportJob.objects.filter(pk=job.pk, status=Status.COMPLETED).exists(),
        timeout=180,
        what="the import to complete",
        worker=worker,
    )

    # then every row was applied once and reported once
    assert assert_consistent(job, orders) == ROWS


def test_a_worker_killed_mid_import_then_the_task_delivered_again_applies_every_row_once(
    start_worker, clerk_and_orders
):
    # given an import whose worker was killed part-way, and the time it takes to find it dead
    clerk, orders = clerk_and_orders
    job, _ = kill_mid_import(start_worker, clerk, orders)
    TrackingImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))

    # when the broker delivers its task again (acks_late) to another worker
    worker = start_worker(pool="solo")
    tracking_import_job_task.apply_async(args=(job.pk,), queue=worker.queue)
    wait_for(
        lambda: TrackingImportJob.objects.filter(pk=job.pk, status=Status.COMPLETED).exists(),
        timeout=180,
        what="the import to complete",
        worker=worker,
    )

    # then that task took the job over from the first row not done, and every row was applied once
    assert assert_consistent(job, orders) == ROWS


def test_two_runs_that_both_think_they_hold_the_job_ship_each_row_once(clerk_and_orders, settings):
    # given a job whose heartbeat always looks stale, so that each run takes it over from the other
    clerk, orders = clerk_and_orders
    orders = orders[:400]
    job = jobs.tracking_import_job_create(file=tracking_csv(orders), user=clerk)
    settings.ORDERS_IMPORT_STALE_SECONDS = 0
    barrier = threading.Barrier(2)
    outcomes: list[jobs.RunOutcome] = []

    def run() -> None:
        try:
            barrier.wait()
            outcome = jobs.tracking_import_job_run(job_id=job.pk)
            while outcome == jobs.RunOutcome.LOST:  # taken over: as a later delivery would, run again
                outcome = jobs.tracking_import_job_run(job_id=job.pk)
            outcomes.append(outcome)
        finally:
            connection.close()

    # when two runs go at once
    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # then the job completed once, and each row was applied once
    assert jobs.RunOutcome.COMPLETED in outcomes
    job.refresh_from_db()
    assert job.status == Status.COMPLETED
    assert assert_consistent(job, orders) == 400
