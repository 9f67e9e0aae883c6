"""The Celery application. Configuration lives in settings (CELERY_* names), beat entries included."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sellercloud.settings")

app = Celery("sellercloud")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
