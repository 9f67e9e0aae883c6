"""Import Tracking as a background job (issue 14, point 2; SPEC S6, S8): the file kept with the job,
rows shipped in order with each result in the same transaction, safe to run twice, resumable after
a worker dies, a stale job shown as Failed, the task handing the job on when its budget is used."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

import orders.tracking_import as rows_module
from orders import dispatch
from orders import tracking_import_jobs as jobs
from orders.choices import Channel, OrderStatus, PaymentStatus
from orders.models import Order, OrderEvent, Package, TrackingImportJob, TrackingImportRow
from orders.tasks import tracking_import_job_task
from orders.tracking_import import TrackingImportError
from tests.factories import CompanyFactory, MembershipFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db

Status = TrackingImportJob.Status


@pytest.fixture
def company():
    return CompanyFactory()


@pytest.fixture
def clerk(company):
    user = UserFactory()
    MembershipFactory(user=user, company=company, can_view_orders=True, can_process_orders=True)
    return user


def paid(company, **fields) -> Order:
    """A paid order of a channel without the one-parcel rule: Ship Order would take it again once
    it is no longer Completed, so only the job's own bookkeeping keeps a row from shipping twice."""
    fields.setdefault("channel", Channel.AMAZON)
    fields.setdefault("channel_account", None)
    return OrderFactory(company=company, payment_status=PaymentStatus.CHARGED, **fields)


def csv_for(orders: list[Order], *, bad_every: int = 0) -> bytes:
    """One row per order; with `bad_every`, every n-th row has a tracking number with a space."""
    lines = ["Order ID,Carrier,Tracking Number"]
    for i, order in enumerate(orders):
        tracking = f"6A {i:05}" if bad_every and i % bad_every == bad_every - 1 else f"6A{i:05}"
        lines.append(f"{order.pk},Colissimo,{tracking}")
    return ("\n".join(lines) + "\n").encode()


def report(job: TrackingImportJob) -> list[tuple[int, str, str]]:
    return list(job.rows.order_by("row").values_list("row", "outcome", "message"))


def assert_each_row_applied_once(job: TrackingImportJob, orders: list[Order], *, bad_every: int = 0) -> None:
    """Every row reported exactly once, in order; each good row's order has exactly one package
    and one shipment event; each bad row's order none."""
    job.refresh_from_db()
    assert list(job.rows.order_by("row").values_list("row", flat=True)) == list(range(2, len(orders) + 2))
    for i, order in enumerate(orders):
        bad = bad_every and i % bad_every == bad_every - 1
        assert order.packages.count() == (0 if bad else 1), (i, order.pk)
        assert OrderEvent.objects.filter(order=order, kind="shipment").count() == (0 if bad else 1)
    bad_rows = len(orders) // bad_every if bad_every else 0
    assert (job.shipped, job.errors) == (len(orders) - bad_rows, bad_rows)
    assert job.rows.filter(outcome="shipped").count() == job.shipped == Package.objects.count()


class WorkerKilled(BaseException):
    """Stands for SIGKILL: not an Exception, so nothing catches it; every open transaction rolls back."""


def kill_after(monkeypatch, shipments: int) -> None:
    """The worker dies while shipping the row after the first `shipments` shipments."""
    real_ship = rows_module.order_ship
    calls = {"n": 0}

    def ship(**kwargs):
        calls["n"] += 1
        if calls["n"] > shipments:
            raise WorkerKilled
        return real_ship(**kwargs)

    monkeypatch.setattr(rows_module, "order_ship", ship)


# --- Starting ---------------------------------------------------------------------------------------


def test_start_keeps_the_file_with_the_job_and_enqueues_one_task_on_commit(
    company, clerk, django_capture_on_commit_callbacks, monkeypatch
):
    orders = [paid(company) for _ in range(3)]
    queued = []
    monkeypatch.setattr(tracking_import_job_task, "delay", lambda job_id: queued.append(job_id))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = dispatch.tracking_import_start(file=b"\xef\xbb\xbf" + csv_for(orders), user=clerk, name="suivi.csv")

    assert len(callbacks) == 1 and queued == [job.pk]
    job.refresh_from_db()
    assert (job.status, job.file_name, job.total_rows, job.next_row) == (Status.QUEUED, "suivi.csv", 3, 0)
    assert job.content.startswith("Order ID,Carrier") and job.content == csv_for(orders).decode()
    assert not Package.objects.exists()  # nothing shipped until a worker runs it


def test_a_file_that_cannot_be_imported_makes_no_job(company, clerk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(TrackingImportError, match="empty"):
        dispatch.tracking_import_start(file=b"\xef\xbb\xbf", user=clerk)

    assert not callbacks and not TrackingImportJob.objects.exists()


# --- Safe to run twice ------------------------------------------------------------------------------


def test_the_job_run_twice_applies_each_row_once(company, clerk):
    # given a job whose first run completed
    orders = [paid(company) for _ in range(120)]
    job = jobs.tracking_import_job_create(file=csv_for(orders, bad_every=10), user=clerk)
    assert jobs.tracking_import_job_run(job_id=job.pk) == jobs.RunOutcome.COMPLETED
    first_report = report(job)
    assert_each_row_applied_once(job, orders, bad_every=10)

    # when it runs again, as a second delivery of its task would
    assert jobs.tracking_import_job_run(job_id=job.pk) == jobs.RunOutcome.NOT_CLAIMED

    # and again from the first row, as if its progress had been lost, with its orders now
    # shippable again (a channel reported a problem: Ship Order would take them)
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(status=OrderStatus.PROBLEM)
    TrackingImportJob.objects.filter(pk=job.pk).update(status=Status.QUEUED, next_row=0, shipped=0, errors=0)
    assert jobs.tracking_import_job_run(job_id=job.pk) == jobs.RunOutcome.COMPLETED

    # then nothing was shipped twice, and the report is the same, row for row
    assert report(job) == first_report
    assert Package.objects.count() == 108
    for order in orders:
        assert order.packages.count() <= 1


def test_a_second_delivery_while_the_first_run_is_alive_leaves_the_job_alone(company, clerk):
    orders = [paid(company) for _ in range(3)]
    job = jobs.tracking_import_job_create(file=csv_for(orders), user=clerk)
    TrackingImportJob.objects.filter(pk=job.pk).update(
        status=Status.RUNNING, runner="a-live-run", heartbeat_at=timezone.now()
    )

    assert jobs.tracking_import_job_run(job_id=job.pk) == jobs.RunOutcome.NOT_CLAIMED

    job.refresh_from_db()
    assert (job.status, job.runner, job.next_row) == (Status.RUNNING, "a-live-run", 0)
    assert not Package.objects.exists()


# --- A worker killed mid-import ----------------------------------------------------------------------


def test_a_run_killed_after_n_rows_resumes_and_every_row_is_applied_once(company, clerk, settings, monkeypatch):
    # given 180 rows (some bad), and a worker that dies while shipping the 70th good one, mid-batch
    orders = [paid(company) for _ in range(180)]
    job = jobs.tracking_import_job_create(file=csv_for(orders, bad_every=7), user=clerk)
    kill_after(monkeypatch, 69)

    # when
    with pytest.raises(WorkerKilled):
        jobs.tracking_import_job_run(job_id=job.pk)

    # then the batch it was in left no trace: the rows before it are shipped and reported, the
    # others neither; the job still says Running (nothing could say otherwise)
    job.refresh_from_db()
    assert job.status == Status.RUNNING and job.next_row == 50
    assert list(job.rows.values_list("row", flat=True)) == list(range(2, 52))
    shipped_orders = set(Package.objects.values_list("order_id", flat=True))
    assert shipped_orders == {o.pk for i, o in enumerate(orders[:50]) if i % 7 != 6}
    assert job.shipped == len(shipped_orders) and job.errors == 50 - len(shipped_orders)

    # when its heartbeat is stale, the next delivery of the task takes it over, from row 52
    monkeypatch.undo()
    settings.ORDERS_IMPORT_STALE_SECONDS = 0
    assert jobs.tracking_import_job_run(job_id=job.pk) == jobs.RunOutcome.COMPLETED

    # then every row was applied once, and reported once
    assert_each_row_applied_once(job, orders, bad_every=7)
    assert job.status == Status.COMPLETED and job.next_row == job.total_rows == 180


def test_an_unexpected_error_fails_the_job_and_resume_finishes_it(
    company, clerk, monkeypatch, django_capture_on_commit_callbacks
):
    # given a batch whose results cannot be written (a bug, a lost connection ...)
    orders = [paid(company) for _ in range(120)]
    job = jobs.tracking_import_job_create(file=csv_for(orders), user=clerk)
    real_bulk_create = TrackingImportRow.objects.bulk_create
    calls = {"n": 0}

    def bulk_create(objs, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("connection lost")
        return real_bulk_create(objs, *args, **kwargs)

    monkeypatch.setattr(TrackingImportRow.objects, "bulk_create", bulk_create)

    # when
    assert jobs.tracking_import_job_run(job_id=job.pk) == jobs.RunOutcome.FAILED

    # then the job says Failed, where, and what to do; the failed batch shipped nothing
    job.refresh_from_db()
    assert job.status == Status.FAILED and job.next_row == 50 and job.runner == ""
    assert job.error.startswith("The import stopped at row 52 because of an unexpected error")
    assert "connection lost" not in job.error
    assert Package.objects.count() == 50

    # when the user resumes it: one task, on commit, which finishes the file
    monkeypatch.undo()
    queued = []
    monkeypatch.setattr(tracking_import_job_task, "delay", lambda job_id: queued.append(job_id))
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch.tracking_import_resume(job=job)
    assert queued == [job.pk]
    assert jobs.tracking_import_job_run(job_id=job.pk) == jobs.RunOutcome.COMPLETED
    assert_each_row_applied_once(job, orders)

    # and a finished job is not resumed
    job.refresh_from_db()
    assert not dispatch.tracking_import_resume(job=job)


def test_a_running_job_without_heartbeat_is_shown_failed_and_a_live_one_is_not(company, clerk, settings):
    orders = [paid(company) for _ in range(3)]
    job = jobs.tracking_import_job_create(file=csv_for(orders), user=clerk)
    settings.ORDERS_IMPORT_STALE_SECONDS = 120
    beat = timezone.now() - timedelta(seconds=60)
    TrackingImportJob.objects.filter(pk=job.pk).update(
        status=Status.RUNNING, runner="r1", heartbeat_at=beat, next_row=2
    )
    job.refresh_from_db()

    assert jobs.tracking_import_job_fail_if_stale(job).status == Status.RUNNING  # 60 s: alive

    TrackingImportJob.objects.filter(pk=job.pk).update(heartbeat_at=beat - timedelta(seconds=61))
    job.refresh_from_db()
    job = jobs.tracking_import_job_fail_if_stale(job)

    assert job.status == Status.FAILED and job.runner == ""
    assert job.error.startswith("The import stopped at row 4: its worker gave no sign of life since ")
    assert job.error.endswith("Resume imports the rest.")


def test_a_run_taken_over_stops_without_shipping(company, clerk, monkeypatch):
    # given a run whose job another run took over between two batches (it was taken for dead)
    orders = [paid(company) for _ in range(80)]
    job = jobs.tracking_import_job_create(file=csv_for(orders), user=clerk)
    real_batch = jobs._run_batch
    calls = {"n": 0}

    def batch(run, *args):
        calls["n"] += 1
        if calls["n"] == 2:
            TrackingImportJob.objects.filter(pk=run.job_id).update(runner="another-run")
        return real_batch(run, *args)

    monkeypatch.setattr(jobs, "_run_batch", batch)

    assert jobs.tracking_import_job_run(job_id=job.pk) == jobs.RunOutcome.LOST

    job.refresh_from_db()
    assert job.next_row == 50 and Package.objects.count() == 50 and job.runner == "another-run"


# --- The task ----------------------------------------------------------------------------------------


def test_the_task_hands_the_job_on_when_its_budget_is_used(company, clerk, settings, eager_celery, monkeypatch):
    # given a budget that one batch uses up
    settings.ORDERS_IMPORT_TASK_SECONDS = 0
    orders = [paid(company) for _ in range(130)]
    job = jobs.tracking_import_job_create(file=csv_for(orders), user=clerk)
    runs = []
    real_run = jobs.tracking_import_job_run
    monkeypatch.setattr(jobs, "tracking_import_job_run", lambda **kw: runs.append(real_run(**kw)) or runs[-1])

    # when the task runs
    tracking_import_job_task.delay(job.pk)

    # then three tasks ran one after the other (50 + 50 + 30 rows), and the file is done
    assert runs == [jobs.RunOutcome.PAUSED, jobs.RunOutcome.PAUSED, jobs.RunOutcome.COMPLETED]
    assert_each_row_applied_once(job, orders)


def test_a_file_of_another_users_companies_ships_nothing_of_them(company, clerk):
    # the companies are the job owner's, read when the run starts
    elsewhere = paid(CompanyFactory())
    mine = paid(company)
    job = jobs.tracking_import_job_create(file=csv_for([elsewhere, mine]), user=clerk)

    jobs.tracking_import_job_run(job_id=job.pk)

    assert report(job)[0] == (2, "error", f"Order {elsewhere.pk} not found.")
    assert not elsewhere.packages.exists() and mine.packages.count() == 1


def test_a_file_with_only_its_header_completes_with_an_empty_report(company, clerk):
    job = jobs.tracking_import_job_create(file=b"Order ID,Carrier,Tracking Number\r\n", user=clerk)

    assert job.total_rows == 0
    assert jobs.tracking_import_job_run(job_id=job.pk) == jobs.RunOutcome.COMPLETED
    job.refresh_from_db()
    assert (job.status, job.next_row, job.percent, report(job)) == (Status.COMPLETED, 0, 100, [])
