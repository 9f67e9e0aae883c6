"""The schedule (issue 24, points 1 and 2): a run starts at its due time, not at the beat's next
tick after it, and a new interval or a run switched on moves the next run at once. Beat ticks
are simulated at a fixed offset from the due times, as a real beat's are."""

from datetime import UTC, datetime, timedelta

import pytest

from channels import account_services
from channels.models import CdiscountAccount, SyncRun
from channels.runs import SCHEDULES, accounts_claim_due
from tests.factories import CdiscountAccountFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 12, 2, 5, 0, 23, 475000, tzinfo=UTC)  # due at xx:xx:23.475
FIRST_TICK = START - timedelta(milliseconds=105)  # the beat ticks at xx:xx:23.370


@pytest.mark.parametrize("kind", [SyncRun.Kind.DOWNLOAD, SyncRun.Kind.UPLOAD, SyncRun.Kind.INVOICE_UPLOAD])
@pytest.mark.parametrize("interval", [1, 5, 15])
def test_over_an_hour_of_ticks_each_run_starts_within_a_second_of_its_due_time(kind, interval):
    enabled, due_field, interval_field = SCHEDULES[kind]
    account = CdiscountAccountFactory(**{enabled: True, due_field: START, interval_field: interval})

    starts = []
    for n in range(61):  # an hour of ticks, the first just before the first due time
        tick = FIRST_TICK + n * timedelta(seconds=60)
        for claim in accounts_claim_due(kind=kind, now=tick):
            assert claim.account_id == account.pk
            starts.append(max(claim.due_at, tick))  # a task with an ETA runs at its ETA

    # Every slot of the hour once, each started at its due time (0.105 s after the tick before
    # it, not 59.9 s later at the tick after it); the last tick already takes the hour's end.
    assert starts == [START + k * timedelta(minutes=interval) for k in range(60 // interval + 1)]


def test_a_new_interval_moves_the_next_download_at_once(monkeypatch):
    now = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    account = CdiscountAccountFactory(
        download_enabled=True, download_interval_minutes=15, next_download_at=now + timedelta(minutes=13)
    )
    SyncRun.objects.create(
        account=account,
        kind=SyncRun.Kind.DOWNLOAD,
        trigger=SyncRun.Trigger.SCHEDULE,
        started_at=now - timedelta(minutes=2),
    )

    account_services.account_update_settings(account=account, by=None, changes={"download_interval_minutes": 1})

    assert CdiscountAccount.objects.get(pk=account.pk).next_download_at == now  # the last run was 2 minutes ago

    account_services.account_update_settings(account=account, by=None, changes={"download_interval_minutes": 5})
    assert CdiscountAccount.objects.get(pk=account.pk).next_download_at == now + timedelta(minutes=3)


def test_turning_upload_on_makes_it_due_now(monkeypatch):
    now = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    account = CdiscountAccountFactory(upload_enabled=False, next_upload_at=now + timedelta(days=3))

    account_services.account_update_settings(account=account, by=None, changes={"upload_enabled": True})

    assert CdiscountAccount.objects.get(pk=account.pk).next_upload_at == now


def test_turning_invoice_upload_on_makes_it_due_now_and_records_since_when(monkeypatch):
    now = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    account = CdiscountAccountFactory(invoice_upload_enabled=False, next_invoice_upload_at=now + timedelta(days=3))

    account_services.account_update_settings(account=account, by=None, changes={"invoice_upload_enabled": True})

    saved = CdiscountAccount.objects.get(pk=account.pk)
    assert (saved.next_invoice_upload_at, saved.invoice_upload_since) == (now, now)
    assert [claim.account_id for claim in accounts_claim_due(kind=SyncRun.Kind.INVOICE_UPLOAD, now=now)] == [account.pk]
    assert accounts_claim_due(kind=SyncRun.Kind.INVOICE_UPLOAD, now=now) == []  # a second beat claims nothing
