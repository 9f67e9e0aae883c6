"""Chaos upload (SPEC S12): with 5xx, timeouts and lost answers, several runs later every package
is Uploaded and Cdiscount recorded exactly one shipment per order.

Transactional, so on PostgreSQL each run uses its thread pool (on SQLite runs go one by one)."""

from __future__ import annotations

import pytest

from channels.models import SyncRun
from orders.choices import UploadStatus
from orders.models import Order, Package
from tests.channels.test_upload import recorded, setup_shipped, shipment_posts, time_passes, upload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ORDERS = 30
MAX_RUNS = 40


@pytest.fixture(autouse=True)
def fast_client(settings):
    settings.CDISCOUNT_HTTP_TIMEOUT = 0.5
    settings.CDISCOUNT_BACKOFF_BASE = 0.005
    settings.CDISCOUNT_MAX_ATTEMPTS = 8


def test_chaos_upload_posts_every_order_exactly_once(make_cdiscount_sandbox):
    # given 30 shipped orders and a marketplace with 20% 5xx, 5% timeouts and 10% lost answers
    sandbox = make_cdiscount_sandbox(orders=0)
    acct, packages = setup_shipped(sandbox, count=ORDERS)
    sandbox.control.set_faults(error_rate=0.2, timeout_rate=0.05, lost_answer_rate=0.1)

    # when runs come one after another until nothing waits (time passing between them)
    runs = 0
    while Package.objects.filter(order__channel_account=acct, upload_status=UploadStatus.PENDING).exists():
        assert runs < MAX_RUNS, "packages still Pending after many runs"
        upload(acct)
        time_passes()
        runs += 1

    # then every package is Uploaded and every order Ship Confirmed ...
    statuses = set(Package.objects.filter(pk__in=[p.pk for p in packages]).values_list("upload_status", flat=True))
    assert statuses == {UploadStatus.UPLOADED}
    assert not Order.objects.filter(channel_account=acct, ship_confirmed_at__isnull=True).exists()
    # ... and Cdiscount recorded exactly one shipment per order, with our parcel only
    for package in packages:
        cid = package.order.channel_order_id
        assert len(recorded(shipment_posts(sandbox, cid))) == 1, cid
        for line in sandbox.control.order(cid)["lines"]:
            assert [p["parcelNumber"] for p in line["parcels"]] == [package.tracking_number]
    # ... and every run is in the Sync Log with its counts
    upload_runs = SyncRun.objects.filter(account=acct, kind=SyncRun.Kind.UPLOAD)
    assert upload_runs.count() == runs
    assert sum(r.uploaded for r in upload_runs) == ORDERS
    assert all(r.status in ("completed", "partial") for r in upload_runs)
