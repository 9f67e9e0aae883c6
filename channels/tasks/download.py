"""The download's tasks: the beat's tick and one account's download."""

from functools import partial

from celery import shared_task
from django.db import transaction

from .. import runs, services


# Names are explicit: they are what the beat schedule and any message already queued say.
@shared_task(name="channels.tasks.download_tick_task", acks_late=True)
def download_tick_task() -> list[int]:
    """Beat, every minute: fail runs whose worker died, then start one download per due account."""
    runs.sync_runs_fail_stale()
    claimed = services.download_claim_due_accounts()
    for claim in claimed:
        # At its due time: a slot a few seconds ahead is not left to the next tick.
        transaction.on_commit(partial(download_account_task.apply_async, (claim.account_id,), eta=claim.due_at))
    return [claim.account_id for claim in claimed]


@shared_task(name="channels.tasks.download_account_task", acks_late=True)
def download_account_task(account_id: int, run_id: int | None = None) -> int | None:
    """One download of one account (scheduled when run_id is None, else the queued manual run)."""
    run = services.download_run_queued(account_id=account_id, run_id=run_id)
    return run.pk if run is not None else None


@shared_task(name="channels.tasks.sync_runs_purge", acks_late=True)
def sync_runs_purge() -> int:
    """Nightly: purge old sync runs (beat entry purge-old-sync-runs)."""
    return services.sync_runs_purge()
