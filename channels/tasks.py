"""Celery tasks for channels: thin entry points that call channels.services."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def sync_runs_purge() -> int:
    """Nightly: purge old sync runs (beat entry purge-old-sync-runs)."""
    return services.sync_runs_purge()
