"""Celery tasks for invoices: thin entry points that call invoices.bulk_print. Arguments are ids."""

from celery import shared_task

from . import bulk_print


@shared_task
def bulk_print_task(job_id: str) -> int:
    """Bulk Print Invoices: print the job's orders into one PDF. Returns the invoices printed.
    Not acks_late: a second delivery would count each order's print twice."""
    return bulk_print.bulk_print_run(job_id)
