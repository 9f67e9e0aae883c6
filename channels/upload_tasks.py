"""Celery tasks of the fulfillment upload: thin entry points that call channels.upload. Arguments
are ids. Imported by channels.tasks (Celery autodiscovery only imports `tasks` modules)."""

from celery import shared_task
from django.db import transaction

from . import upload

__all__ = ["upload_account_task", "upload_tick_task"]


@shared_task(acks_late=True)
def upload_tick_task() -> list[int]:
    """Beat, every minute: start one upload per account whose upload is due."""
    claimed = upload.upload_claim_due_accounts()
    for account_id in claimed:
        transaction.on_commit(lambda account_id=account_id: upload_account_task.delay(account_id))
    return claimed


@shared_task(acks_late=True)
def upload_account_task(account_id: int, run_id: int | None = None, bypass_lock: bool = False) -> int | None:
    """One upload run of one account (scheduled when run_id is None, else the queued manual run).

    Safe if delivered twice: the run holds the account's upload lock and claims each package.
    """
    run = upload.upload_run_queued(account_id=account_id, run_id=run_id, bypass_lock=bypass_lock)
    return run.pk if run is not None else None
