"""Channel services: the work behind the sync tasks, commands and settings pages."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from .models import SyncProblem, SyncRun

logger = logging.getLogger(__name__)


def sync_runs_purge(*, older_than_days: int | None = None) -> int:
    """Delete finished SyncRuns older than the retention (SPEC S6), keeping every run that still
    has an unresolved problem (its Retry must stay reachable). Returns how many were deleted."""
    days = settings.SYNC_RUN_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    unresolved = SyncProblem.objects.filter(run=OuterRef("pk"), resolved_at__isnull=True)
    old = (
        SyncRun.objects.filter(queued_at__lt=cutoff)
        .exclude(status__in=SyncRun.ACTIVE_STATUSES)
        .exclude(Exists(unresolved))
    )
    _, per_model = old.delete()
    count = per_model.get(SyncRun._meta.label, 0)
    logger.info("event=sync_runs_purged count=%d cutoff=%s", count, cutoff.isoformat())
    return count
