"""Retention: old sync runs go, except those with unresolved problems (SPEC S6)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from channels.models import SyncProblem, SyncRun
from channels.services import sync_runs_purge
from tests.factories import CdiscountAccountFactory

pytestmark = pytest.mark.django_db


def test_purge_keeps_recent_runs_and_runs_with_unresolved_problems():
    account = CdiscountAccountFactory()
    old = timezone.now() - timedelta(days=120)
    done = SyncRun.objects.create(account=account, kind="download", status="completed", queued_at=old)
    resolved = SyncRun.objects.create(account=account, kind="download", status="partial", queued_at=old)
    SyncProblem.objects.create(run=resolved, channel_order_id="X", message="bad", resolved_at=timezone.now())
    unresolved = SyncRun.objects.create(account=account, kind="download", status="partial", queued_at=old)
    SyncProblem.objects.create(run=unresolved, channel_order_id="Y", message="bad")
    recent = SyncRun.objects.create(account=account, kind="download", status="completed")

    assert sync_runs_purge(older_than_days=90) == 2

    assert set(SyncRun.objects.values_list("pk", flat=True)) == {unresolved.pk, recent.pk}
    assert not SyncRun.objects.filter(pk__in=[done.pk, resolved.pk]).exists()
