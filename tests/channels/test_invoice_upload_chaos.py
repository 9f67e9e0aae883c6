"""Chaos invoice upload (issue 21; SPEC S12): with 5xx, timeouts, 429s and lost answers, runs come
one after another until nothing waits, and Cdiscount accepted exactly one invoice per shipped
order; two runs at once (the claims alone keeping them apart) post each invoice once too."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from channels.invoice_upload import INVOICE_UPLOAD
from channels.models import InvoiceUpload, SyncRun
from tests.channels.run_helpers import run_with_a_lock_of_its_own
from tests.channels.test_invoice_upload import (
    accepted,
    invoice_posts,
    invoice_run,
    invoice_sandbox,
    shipped_with_invoice_upload,
    time_passes,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ORDERS = 20
MAX_RUNS = 40


@pytest.fixture(autouse=True)
def fast_client(settings):
    settings.CDISCOUNT_HTTP_TIMEOUT = 0.5
    settings.CDISCOUNT_BACKOFF_BASE = 0.005
    settings.CDISCOUNT_MAX_ATTEMPTS = 8


def assert_one_accepted_post_per_order(sandbox, orders):
    for order in orders:
        posts = invoice_posts(sandbox, order.channel_order_id)
        assert len(accepted(posts)) == 1, (order.channel_order_id, [(p.status, p.fault) for p in posts])
        # none at all after a lost answer: the read-back found the invoice there
        lost = [i for i, p in enumerate(posts) if p.fault == "lost_answer"]
        assert not lost or lost[0] == len(posts) - 1, order.channel_order_id


def test_chaos_invoice_upload_posts_every_shipped_orders_invoice_exactly_once(make_cdiscount_sandbox):
    # given 20 orders Ship Confirmed with the option on
    sandbox = invoice_sandbox(make_cdiscount_sandbox)
    acct, orders = shipped_with_invoice_upload(sandbox, count=ORDERS)
    # ... and a marketplace with 20% 5xx, 5% timeouts, 5% 429s and 10% lost answers
    sandbox.control.set_faults(
        error_rate=0.2, timeout_rate=0.05, rate_limit_rate=0.05, retry_after=0.05, lost_answer_rate=0.1
    )

    # when runs come one after another until nothing waits (time passing between them)
    runs = 0
    while InvoiceUpload.objects.filter(account=acct, status__in=InvoiceUpload.WAITING).exists() or runs == 0:
        assert runs < MAX_RUNS, "invoices still waiting after many runs"
        invoice_run(acct)
        time_passes()
        runs += 1

    # then every invoice is Uploaded, and Cdiscount accepted exactly one post per order
    assert set(InvoiceUpload.objects.filter(account=acct).values_list("status", flat=True)) == {"uploaded"}
    assert InvoiceUpload.objects.filter(account=acct).count() == ORDERS
    assert_one_accepted_post_per_order(sandbox, orders)
    faults = {r.fault for r in sandbox.requests(path_contains="invoice")}
    assert {"error", "lost_answer"} <= faults, faults  # the faults did hit the invoice calls
    # ... and every run is in the Sync Log
    invoice_runs = SyncRun.objects.filter(account=acct, kind=SyncRun.Kind.INVOICE_UPLOAD)
    assert invoice_runs.count() == runs and sum(r.uploaded for r in invoice_runs) == ORDERS


@pytest.mark.postgres
def test_two_runs_at_once_post_each_invoice_once(make_cdiscount_sandbox):
    # given 12 Ship Confirmed orders and a marketplace slow enough for two runs to overlap
    sandbox = invoice_sandbox(make_cdiscount_sandbox)
    acct, orders = shipped_with_invoice_upload(sandbox, count=12)
    sandbox.control.set_faults(latency=0.02)

    # when two runs go at once, each under a lock of its own (as if the account's lock were missing)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            run_with_a_lock_of_its_own(INVOICE_UPLOAD, account=acct)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # then the claims shared the invoices out: each posted once, all Uploaded
    assert errors == []
    assert len(invoice_posts(sandbox)) == 12
    assert_one_accepted_post_per_order(sandbox, orders)
    assert set(InvoiceUpload.objects.filter(account=acct).values_list("status", flat=True)) == {"uploaded"}
    assert sum(r.uploaded for r in SyncRun.objects.filter(kind=SyncRun.Kind.INVOICE_UPLOAD)) == 12
