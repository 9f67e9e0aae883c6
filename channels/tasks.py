"""Celery tasks for channels: thin entry points that call channels.services. Arguments are ids."""

from celery import shared_task
from django.db import transaction

from . import services


@shared_task(acks_late=True)
def download_tick_task() -> list[int]:
    """Beat, every minute: fail runs whose worker died, then start one download per due account."""
    services.sync_runs_fail_stale()
    claimed = services.download_claim_due_accounts()
    for account_id in claimed:
        transaction.on_commit(lambda account_id=account_id: download_account_task.delay(account_id))
    return claimed


@shared_task(acks_late=True)
def download_account_task(account_id: int, run_id: int | None = None, bypass_lock: bool = False) -> int | None:
    """One download of one account (scheduled when run_id is None, else the queued manual run).

    `bypass_lock` exists only for the test that runs two downloads of one account at once, to
    prove the upsert alone keeps one order per marketplace order.
    """
    run = services.download_run_queued(account_id=account_id, run_id=run_id, bypass_lock=bypass_lock)
    return run.pk if run is not None else None


@shared_task(acks_late=True)
def sync_runs_purge() -> int:
    """Nightly: purge old sync runs (beat entry purge-old-sync-runs)."""
    return services.sync_runs_purge()


from .upload_tasks import *  # noqa: E402,F401,F403
