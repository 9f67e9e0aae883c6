"""The fulfillment upload's tasks: the beat's tick and one account's upload run."""

from functools import partial

from celery import shared_task
from django.db import transaction

from .. import upload

# Named as when they lived in channels.upload_tasks: messages already queued keep their task.
UPLOAD_TICK = "channels.upload_tasks.upload_tick_task"
UPLOAD_ACCOUNT = "channels.upload_tasks.upload_account_task"


@shared_task(name=UPLOAD_TICK, acks_late=True)
def upload_tick_task() -> list[int]:
    """Beat, every minute: start one upload per account whose upload is due."""
    claimed = upload.upload_claim_due_accounts()
    for claim in claimed:
        # At its due time: a slot a few seconds ahead is not left to the next tick.
        transaction.on_commit(partial(upload_account_task.apply_async, (claim.account_id,), eta=claim.due_at))
    return [claim.account_id for claim in claimed]


@shared_task(name=UPLOAD_ACCOUNT, acks_late=True)
def upload_account_task(account_id: int, run_id: int | None = None) -> int | None:
    """One upload run of one account (scheduled when run_id is None, else the queued manual run).

    Safe if delivered twice: the run holds the account's upload lock and claims each package.
    """
    run = upload.upload_run_queued(account_id=account_id, run_id=run_id)
    return run.pk if run is not None else None
