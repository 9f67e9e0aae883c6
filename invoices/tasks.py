"""Celery tasks for invoices: thin entry points that call invoices.bulk_print. Arguments are ids."""

from celery import shared_task

from . import bulk_print


@shared_task
def bulk_print_task(job_id: str) -> int:
    """Bulk Print Invoices: print the job's orders into one PDF. Returns the invoices printed.
    Delivered again (acks_late, the default) after its worker died, it prints the job again: the
    same numbers, each print counted."""
    return bulk_print.bulk_print_run(job_id, max_seconds=bulk_print.task_budget_seconds())
