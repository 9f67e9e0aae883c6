"""Celery tasks for orders: thin entry points that call orders.bulk. Arguments are ids."""

from celery import shared_task

from . import bulk


@shared_task(acks_late=True)
def bulk_apply_task(job_id: str, action: str, order_ids: list[int], user_id: int, text: str = "") -> int:
    """One chunk of a Manage Orders bulk hold / release. Safe to run twice: the hold service's
    conditional updates change each order once (SPEC S6). Returns how many orders changed."""
    result = bulk.bulk_job_run_chunk(job_id=job_id, action=action, order_ids=order_ids, user_id=user_id, text=text)
    return result.changed
