"""The invoice upload's tasks: the beat's tick and one account's invoice upload run (issue 21)."""

from functools import partial

from celery import shared_task
from django.db import transaction

from .. import invoice_upload


@shared_task(name="channels.tasks.invoice_upload_tick_task", acks_late=True)
def invoice_upload_tick_task() -> list[int]:
    """Beat, every minute: start one invoice upload per account whose invoice upload is due."""
    claimed = invoice_upload.invoice_upload_claim_due_accounts()
    for claim in claimed:
        transaction.on_commit(partial(invoice_upload_account_task.apply_async, (claim.account_id,), eta=claim.due_at))
    return [claim.account_id for claim in claimed]


@shared_task(name="channels.tasks.invoice_upload_account_task", acks_late=True)
def invoice_upload_account_task(account_id: int, run_id: int | None = None) -> int | None:
    """One invoice upload run of one account (scheduled when run_id is None, else a queued one).

    Safe if delivered twice: the run holds the account's invoice upload lock and claims each invoice.
    """
    run = invoice_upload.invoice_upload_run_queued(account_id=account_id, run_id=run_id)
    return run.pk if run is not None else None
