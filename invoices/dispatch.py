"""Where invoices sends work to the workers: the only module that imports invoices.tasks."""

from __future__ import annotations

from django.urls import reverse

from sellercloud.models import User

from . import bulk_print
from .tasks import bulk_print_task


def bulk_print_start(user: User, order_ids: list[int]) -> str:
    """Manage Orders' Bulk Print Invoices (orders.bulk.BulkAction.start): start the job, return
    the URL of its progress page."""
    job_id = bulk_print.bulk_print_start(user=user, order_ids=order_ids, enqueue=bulk_print_task.delay)
    return reverse("bulk_print_job", args=[job_id])
