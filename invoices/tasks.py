"""Celery tasks for invoices: thin entry points that call invoices.bulk_print_job. Arguments are
ids. Delivered again (acks_late, the default) after their worker died, they redo their step: the
same numbers, each print counted once (bulk_print_job)."""

from typing import Any

from celery import shared_task

from . import bulk_print, bulk_print_job


@shared_task(bind=True)
def bulk_print_task(self: Any, job_id: str) -> int:
    """Bulk Print Invoices: issue the job's numbers, then queue its chunks on the queue this task
    came from (the workers that took the job take its chunks). Returns the chunks queued."""
    queue = (self.request.delivery_info or {}).get("routing_key")
    route = {"queue": queue} if queue else {}
    return bulk_print_job.bulk_print_issue(
        job_id,
        max_seconds=bulk_print.task_budget_seconds(),
        enqueue_chunk=lambda index: bulk_print_chunk_task.apply_async(args=(job_id, index), **route),
    )


@shared_task
def bulk_print_chunk_task(job_id: str, index: int) -> int:
    """Render one chunk of a Bulk Print Invoices job (the last one merges). Returns the pages."""
    return bulk_print_job.bulk_print_render_chunk(job_id, index, max_seconds=bulk_print.task_budget_seconds())
