"""The reconciliation's tasks: the nightly beat entry and one account's reconciliation run."""

from functools import partial

from celery import shared_task
from django.db import transaction

from .. import reconcile


@shared_task(name="channels.tasks.reconcile_nightly_task", acks_late=True)
def reconcile_nightly_task() -> list[int]:
    """Beat, nightly (reconcile-nightly): one reconciliation per account that downloads."""
    accounts = reconcile.reconcile_nightly_accounts()
    for account_id in accounts:
        transaction.on_commit(partial(reconcile_account_task.delay, account_id))
    return accounts


@shared_task(name="channels.tasks.reconcile_account_task", acks_late=True)
def reconcile_account_task(account_id: int, run_id: int | None = None) -> int | None:
    """One reconciliation of one account (nightly when run_id is None, else the queued manual run).
    Safe if delivered twice: it holds the account's reconciliation lock and only reads."""
    run = reconcile.reconcile_run_queued(account_id=account_id, run_id=run_id)
    return run.pk if run is not None else None
