"""Celery tasks of channels: thin entry points that call the services. Arguments are ids.

Celery's autodiscovery imports `channels.tasks`; each kind of work has its module here. Only
channels.dispatch (and the tick tasks themselves) send tasks: services never import this package.
"""

from .download import download_account_task, download_tick_task, sync_runs_purge
from .invoice_upload import invoice_upload_account_task, invoice_upload_tick_task
from .reconcile import reconcile_account_task, reconcile_nightly_task
from .upload import upload_account_task, upload_tick_task

__all__ = [
    "download_account_task",
    "download_tick_task",
    "invoice_upload_account_task",
    "invoice_upload_tick_task",
    "reconcile_account_task",
    "reconcile_nightly_task",
    "sync_runs_purge",
    "upload_account_task",
    "upload_tick_task",
]
