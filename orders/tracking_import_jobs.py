"""Import Tracking as a background job (SPEC S8, S6): the file is kept with the job, a Celery task
ships its rows in order, the page follows the progress, and the report stays with the job.

Why a job: a 50,000-row file (1.7 MB, under the 2 MB cap) takes longer than a web request may
live (gunicorn kills a request after 30 s), and a file killed mid-way in a request left no report.

How a run stays exact when a worker dies:

- A run claims the job (a conditional change under the job's row lock): a Queued or Failed job,
  or a Running one whose heartbeat is stale. A second delivery of the task (acks_late) while the
  first run is alive finds the job held and leaves.
- Rows go in batches, each one transaction: the job's row is locked, the run checks that it still
  holds the job, ships each row (each in its own savepoint, orders.tracking_import), writes each
  row's TrackingImportRow, and moves `next_row` and the heartbeat. Killed mid-batch, the whole
  batch rolls back: each row is then applied and reported, or neither. A row already reported is
  never shipped again (the results are unique per row, and a batch skips those it finds).
- A run that used its time budget hands the job back as Queued and the task enqueues the next
  run, so no task comes near Celery's time limit however long the file.
- A Running job whose heartbeat is older than ORDERS_IMPORT_STALE_SECONDS (default 120) is shown
  as Failed, and marked so when its page is read; Resume (or the task delivered again after the
  broker's visibility timeout) goes on from `next_row`.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from itertools import islice
from typing import IO

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sellercloud.models import User

from .models import TrackingImportJob, TrackingImportRow
from .tracking_import import (
    Record,
    RowOutcome,
    RowResult,
    TrackingFile,
    TrackingImportReport,
    tracking_file_read,
    tracking_import_companies,
    tracking_row_import,
)

logger = logging.getLogger(__name__)

__all__ = [
    "RunOutcome",
    "tracking_import",
    "tracking_import_job_create",
    "tracking_import_job_fail_if_stale",
    "tracking_import_job_resume",
    "tracking_import_job_run",
    "tracking_import_job_start",
]

Status = TrackingImportJob.Status

# Rows per transaction: each batch holds its orders' row locks until it commits, and is the most
# a killed worker loses (then redone). A row takes a few milliseconds.
BATCH_ROWS = 50
ORDER_REF_KEPT = TrackingImportRow._meta.get_field("order_ref").max_length or 100


def stale_after() -> timedelta:
    """A Running job with no heartbeat for this long is taken for dead (its worker was killed)."""
    return timedelta(seconds=int(getattr(settings, "ORDERS_IMPORT_STALE_SECONDS", 120)))


def task_budget_seconds() -> float:
    """How long one task runs before it hands the job to the next task (well under Celery's limits)."""
    return float(getattr(settings, "ORDERS_IMPORT_TASK_SECONDS", 60))


def _is_stale(job: TrackingImportJob) -> bool:
    beat = job.heartbeat_at or job.started_at or job.created_at
    return job.status == Status.RUNNING and beat < timezone.now() - stale_after()


# --- Starting ----------------------------------------------------------------------------------


def tracking_import_job_create(*, file: IO[bytes] | bytes, user: User, name: str = "") -> TrackingImportJob:
    """Check the file as a whole and keep it as a Queued job; nothing is shipped yet.

    Raises TrackingImportError (not a CSV, empty, larger than 2 MB, no known header), and then
    nothing has changed.
    """
    tracking_file = tracking_file_read(file)
    name = name or getattr(file, "name", "") or "tracking.csv"
    return TrackingImportJob.objects.create(
        user=user,
        file_name=name[:255],
        content=tracking_file.text,
        total_rows=tracking_file.count(),
    )


def tracking_import_job_start(
    *, file: IO[bytes] | bytes, user: User, enqueue: Callable[[int], object], name: str = ""
) -> TrackingImportJob:
    """Keep the file as a job and `enqueue(job_id)` its task once this transaction commits
    (orders.dispatch passes the task)."""
    with transaction.atomic():
        job = tracking_import_job_create(file=file, user=user, name=name)
        transaction.on_commit(lambda: enqueue(job.pk))
    logger.info("event=tracking_import_queued job=%s user=%s rows=%d", job.pk, user.pk, job.total_rows)
    return job


# --- Running -----------------------------------------------------------------------------------


class RunOutcome(StrEnum):
    COMPLETED = "completed"  # every row done
    PAUSED = "paused"  # the budget was used: the job is Queued again for the next run
    NOT_CLAIMED = "not_claimed"  # finished already, held by a live run, or gone
    LOST = "lost"  # another run took the job over (this one was taken for dead): stop
    FAILED = "failed"  # an unexpected error; the job says so and may be resumed


@dataclass
class _Run:
    job_id: int
    token: str


def _claim(job_id: int) -> tuple[_Run, TrackingImportJob] | None:
    token = uuid.uuid4().hex
    with transaction.atomic():
        job = TrackingImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or not (job.status in TrackingImportJob.CLAIMABLE or _is_stale(job)):
            return None
        if job.status == Status.RUNNING:
            logger.warning(
                "event=tracking_import_taken_over job=%s from=%s next_row=%d", job.pk, job.runner, job.next_row
            )
        now = timezone.now()
        job.status, job.runner, job.error = Status.RUNNING, token, ""
        job.heartbeat_at = now
        job.started_at = job.started_at or now
        job.save(update_fields=["status", "runner", "error", "heartbeat_at", "started_at"])
    return _Run(job_id=job_id, token=token), job


def _held(run: _Run) -> TrackingImportJob | None:
    """The job under its row lock, if this run still holds it (inside a transaction)."""
    job = TrackingImportJob.objects.select_for_update().get(pk=run.job_id)
    return job if job.status == Status.RUNNING and job.runner == run.token else None


def tracking_import_job_run(
    *, job_id: int, max_seconds: float | None = None, max_rows: int | None = None
) -> RunOutcome:
    """Ship the job's rows from `next_row` on, in order, and record each row's result.

    Safe to run twice, at once or one after the other (SPEC S6): see the module docstring. Stops
    after about `max_seconds` or `max_rows` rows (then the job is Queued again: run it again to go
    on), or at the end of the file (Completed).
    """
    claimed = _claim(job_id)
    if claimed is None:
        return RunOutcome.NOT_CLAIMED
    run, job = claimed
    started = time.monotonic()
    done = 0
    try:
        tracking_file = TrackingFile(job.content)  # checked when the job was created
        companies = tracking_import_companies(job.user)
        records = tracking_file.records(start=job.next_row)
        while batch := list(islice(records, BATCH_ROWS)):
            if not _run_batch(run, batch, tracking_file.columns, companies, job.user):
                logger.warning("event=tracking_import_lost job=%s", job_id)
                return RunOutcome.LOST
            done += len(batch)
            if batch[-1].index + 1 >= job.total_rows:
                break  # the last record: complete now rather than hand an empty rest to another task
            out_of_time = max_seconds is not None and time.monotonic() - started >= max_seconds
            if out_of_time or (max_rows is not None and done >= max_rows):
                return _pause(run)
        return _complete(run)
    except Exception:
        logger.exception("event=tracking_import_failed job=%s", job_id)
        return _fail(run)


def _run_batch(run: _Run, batch: list[Record], columns: dict[str, int], companies: set[int], user: User) -> bool:
    """One transaction: these rows shipped and reported, `next_row` past them. False when the job
    is no longer this run's (then nothing of the batch is done)."""
    with transaction.atomic():
        job = _held(run)
        if job is None:
            return False
        if batch[0].index != job.next_row:  # cannot happen while the run holds the job; never guess
            raise RuntimeError(f"Import job {job.pk} is at record {job.next_row}, the run at {batch[0].index}")
        reported = set(job.rows.filter(row__in=[r.row for r in batch]).values_list("row", flat=True))
        results: list[RowResult] = []
        for record in batch:
            if record.row in reported:
                continue  # done by an earlier run of this job: never shipped twice
            result = tracking_row_import(record=record, columns=columns, companies=companies, user=user)
            if result is not None:
                results.append(result)
        TrackingImportRow.objects.bulk_create(
            [
                TrackingImportRow(
                    job_id=job.pk,
                    row=r.row,
                    order_ref=_cut(r.order_ref),
                    order_id=r.order_id,
                    package_id=r.package_id,
                    outcome=r.outcome.value,
                    message=r.message,
                )
                for r in results
            ]
        )
        job.next_row = batch[-1].index + 1
        job.shipped += sum(r.outcome == RowOutcome.SHIPPED for r in results)
        job.errors += sum(r.outcome == RowOutcome.ERROR for r in results)
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["next_row", "shipped", "errors", "heartbeat_at"])
    return True


def _cut(ref: str) -> str:
    return ref if len(ref) <= ORDER_REF_KEPT else ref[: ORDER_REF_KEPT - 1] + "…"


def _pause(run: _Run) -> RunOutcome:
    with transaction.atomic():
        job = _held(run)
        if job is None:
            return RunOutcome.LOST
        job.status, job.runner = Status.QUEUED, ""
        job.save(update_fields=["status", "runner"])
    logger.info("event=tracking_import_paused job=%s next_row=%d", job.pk, job.next_row)
    return RunOutcome.PAUSED


def _complete(run: _Run) -> RunOutcome:
    with transaction.atomic():
        job = _held(run)
        if job is None:
            return RunOutcome.LOST
        job.status, job.runner, job.finished_at = Status.COMPLETED, "", timezone.now()
        job.save(update_fields=["status", "runner", "finished_at"])
    logger.info(
        "event=tracking_import_completed job=%s user=%s rows=%d shipped=%d errors=%d",
        job.pk,
        job.user_id,
        job.total_rows,
        job.shipped,
        job.errors,
    )
    return RunOutcome.COMPLETED


def _fail(run: _Run) -> RunOutcome:
    with transaction.atomic():
        job = _held(run)
        if job is None:
            return RunOutcome.LOST
        job.status, job.runner = Status.FAILED, ""
        job.error = (
            f"The import stopped at row {job.next_row + 2} because of an unexpected error (it is logged for the "
            "administrators). The rows before it are done and listed below; Resume imports the rest."
        )
        job.save(update_fields=["status", "runner", "error"])
    return RunOutcome.FAILED


# --- Following, resuming -----------------------------------------------------------------------


def tracking_import_job_fail_if_stale(job: TrackingImportJob) -> TrackingImportJob:
    """Mark a Running job whose heartbeat stopped (a killed worker) as Failed, and say so.

    A conditional update: a run that is alive moves the heartbeat, and then nothing changes.
    """
    if not _is_stale(job):
        return job
    since = timezone.localtime(job.heartbeat_at or job.created_at).strftime("%H:%M:%S")
    error = (
        f"The import stopped at row {job.next_row + 2}: its worker gave no sign of life since {since}. "
        "The rows before it are done and listed below; Resume imports the rest."
    )
    changed = TrackingImportJob.objects.filter(
        pk=job.pk, status=Status.RUNNING, runner=job.runner, heartbeat_at=job.heartbeat_at
    ).update(status=Status.FAILED, runner="", error=error)
    if changed:
        logger.warning("event=tracking_import_stale job=%s next_row=%d", job.pk, job.next_row)
    job.refresh_from_db()
    return job


def tracking_import_job_resume(*, job: TrackingImportJob, enqueue: Callable[[int], object]) -> bool:
    """Queue a Failed job again; its next run goes on from the first row not done. False when the
    job is not Failed (finished, or still running)."""
    job = tracking_import_job_fail_if_stale(job)
    with transaction.atomic():
        resumed = TrackingImportJob.objects.filter(pk=job.pk, status=Status.FAILED).update(
            status=Status.QUEUED, error=""
        )
        if resumed:
            transaction.on_commit(lambda: enqueue(job.pk))
    if resumed:
        logger.info("event=tracking_import_resumed job=%s next_row=%d", job.pk, job.next_row)
    return bool(resumed)


# --- In this process ---------------------------------------------------------------------------


def tracking_import(*, file: IO[bytes] | bytes, user: User) -> TrackingImportReport:
    """Import Tracking in this process (scripts, tests): the same job, run to its end here.

    Raises TrackingImportError, changing nothing, when the file cannot be imported at all. Pages
    use tracking_import_job_start: a large file must not run inside a web request.
    """
    job = tracking_import_job_create(file=file, user=user)
    tracking_import_job_run(job_id=job.pk)
    report = TrackingImportReport()
    for row in job.rows.order_by("row"):
        report.rows.append(
            RowResult(row.row, row.order_ref, row.order_id, RowOutcome(row.outcome), row.message, row.package_id)
        )
    return report
