"""Celery tasks for orders: thin entry points that call orders.bulk and orders.tracking_import_jobs.
Arguments are ids."""

from celery import shared_task

from . import bulk, tracking_import_jobs


@shared_task(acks_late=True)
def bulk_apply_task(job_id: str, action: str, order_ids: list[int], user_id: int, text: str = "") -> int:
    """One chunk of a Manage Orders bulk hold / release. Safe to run twice: the hold service's
    conditional updates change each order once (SPEC S6). Returns how many orders changed."""
    result = bulk.bulk_job_run_chunk(job_id=job_id, action=action, order_ids=order_ids, user_id=user_id, text=text)
    return result.changed


@shared_task(acks_late=True)
def tracking_import_job_task(job_id: int) -> str:
    """Run an Import Tracking job for a while, then hand it to the next task until it is done.

    Safe to deliver twice (acks_late): a second delivery finds the job held by a live run and
    leaves; one delivered after its worker died takes the job over from the first row not done.
    """
    outcome = tracking_import_jobs.tracking_import_job_run(
        job_id=job_id, max_seconds=tracking_import_jobs.task_budget_seconds()
    )
    if outcome == tracking_import_jobs.RunOutcome.PAUSED:
        tracking_import_job_task.delay(job_id)
    return outcome.value
