"""Where orders sends work to the workers: the only module that imports orders.tasks. Views call
these; the tasks import the services, never this module, so no import runs in a circle."""

from __future__ import annotations

from typing import IO

from sellercloud.models import User

from . import bulk, tracking_import_jobs
from .models import TrackingImportJob
from .tasks import bulk_apply_task, tracking_import_job_task


def bulk_job_start(*, action: str, order_ids: list[int], user: User, text: str = "") -> str:
    """A Manage Orders bulk action on many orders, one task per chunk (see bulk.bulk_job_start)."""
    return bulk.bulk_job_start(
        action=action,
        order_ids=order_ids,
        user=user,
        text=text,
        enqueue=lambda job_id, chunk: bulk_apply_task.delay(job_id, action, chunk, user.pk, text),
    )


def tracking_import_start(*, file: IO[bytes] | bytes, user: User, name: str = "") -> TrackingImportJob:
    """Import Tracking in the background (see tracking_import_jobs.tracking_import_job_start)."""
    return tracking_import_jobs.tracking_import_job_start(
        file=file, user=user, name=name, enqueue=tracking_import_job_task.delay
    )


def tracking_import_resume(*, job: TrackingImportJob) -> bool:
    """Resume a Failed Import Tracking job (see tracking_import_jobs.tracking_import_job_resume)."""
    return tracking_import_jobs.tracking_import_job_resume(job=job, enqueue=tracking_import_job_task.delay)
