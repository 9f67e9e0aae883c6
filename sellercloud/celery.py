"""The Celery application. Configuration lives in settings (CELERY_* names), beat entries included."""

import os

from celery import Celery
from celery.signals import before_task_publish

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sellercloud.settings")

app = Celery("sellercloud")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _record_beat_tick(sender: str | None = None, **kwargs: object) -> None:
    # Imported late: this module loads before Django's settings are ready.
    from .heartbeat import on_publish

    on_publish(sender=sender)


before_task_publish.connect(_record_beat_tick, weak=False)
