"""The one run framework (channels.runs) that download and upload share."""

from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from channels.models import SyncRun
from channels.runs import sync_runs_fail_stale
from channels.services import DOWNLOAD, download_run_queued
from channels.upload import UPLOAD, upload_run_now
from tests.channels.sandbox_helpers import account_for

pytestmark = pytest.mark.django_db


def test_a_queued_download_that_finds_the_lock_held_is_failed_and_calls_nothing(cdiscount_sandbox):
    # given a manual download queued while another download of the account runs
    account = account_for(cdiscount_sandbox)
    queued = DOWNLOAD.create(account=account, trigger=SyncRun.Trigger.MANUAL, user=None)
    other = DOWNLOAD.lock(account.pk)
    assert other.acquire()
    try:
        # when its task is delivered
        assert download_run_queued(account_id=account.pk, run_id=queued.pk) is None
    finally:
        other.release()

    # then it is Failed with why, and the marketplace heard nothing
    queued.refresh_from_db()
    assert queued.status == SyncRun.Status.FAILED
    assert queued.error == "Another download of this account was running: this one did not start."
    assert cdiscount_sandbox.requests(path_contains="/seller/v2") == []


def test_an_upload_holds_its_lock_with_the_uploads_own_expiry(cdiscount_sandbox, monkeypatch, settings):
    settings.UPLOAD_LOCK_TTL_SECONDS = 7
    settings.DOWNLOAD_LOCK_TTL_SECONDS = 120
    account = account_for(cdiscount_sandbox, upload_enabled=True)
    seen = {}

    def probe(*, run, lock, **options):
        seen["ttl_ms"] = redis.Redis.from_url(settings.REDIS_URL).pttl(lock.name)
        return run

    monkeypatch.setattr("channels.upload.services.upload_execute", probe)

    assert upload_run_now(account=account, trigger=SyncRun.Trigger.COMMAND) is not None
    assert 0 < seen["ttl_ms"] <= 7000


def test_kinds_keep_their_own_lock_names_and_expiries(settings):
    settings.UPLOAD_LOCK_TTL_SECONDS = 30
    settings.DOWNLOAD_LOCK_TTL_SECONDS = 90

    assert (DOWNLOAD.lock_ttl, UPLOAD.lock_ttl) == (90.0, 30.0)
    assert DOWNLOAD.lock(5).name != UPLOAD.lock(5).name


@pytest.mark.parametrize(
    ("kind", "then"),
    [
        (SyncRun.Kind.DOWNLOAD, "The next run covers its window again."),
        (SyncRun.Kind.UPLOAD, "The next run takes up what it left."),
        (SyncRun.Kind.INVOICE_UPLOAD, "The next run takes up what it left."),
    ],
)
def test_a_run_whose_worker_died_is_failed_saying_what_the_next_run_does(cdiscount_sandbox, kind, then):
    # given a run of this kind whose heartbeat stopped long ago (its worker was killed)
    account = account_for(cdiscount_sandbox)
    now = timezone.now()
    beat = now - timedelta(hours=1)
    run = SyncRun.objects.create(
        account=account, kind=kind, status=SyncRun.Status.PROCESSING, started_at=beat, heartbeat_at=beat
    )

    # when the next tick looks for stale runs
    assert sync_runs_fail_stale(now=now) == 1

    # then it is Failed, in words that fit its kind (an upload has no window)
    run.refresh_from_db()
    assert run.status == SyncRun.Status.FAILED
    assert run.error.startswith("The worker stopped: no heartbeat since ")
    assert run.error.endswith(then)
