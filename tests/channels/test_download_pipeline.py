"""A download reads a page (plans it), then writes it in one transaction: pages are written in
their order, each committed before the next, and a page whose write fails leaves the pages before
it and a window the next run reads again (SPEC S6, S11)."""

import pytest

from channels.models import SyncRun
from channels.services import download_run_now
from orders.models import Order, Payment
from tests.channels.sandbox_helpers import account_for, importable, local

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def fast_client(settings):
    settings.CDISCOUNT_HTTP_TIMEOUT = 0.5
    settings.CDISCOUNT_BACKOFF_BASE = 0.005
    settings.CDISCOUNT_MAX_ATTEMPTS = 8


def download(account) -> SyncRun:
    run = download_run_now(account=account, trigger=SyncRun.Trigger.COMMAND)
    assert run is not None
    run.refresh_from_db()
    return run


def test_pages_are_written_in_their_order_each_committed_before_the_next(make_cdiscount_sandbox, monkeypatch):
    # given 450 orders: 5 pages
    sandbox = make_cdiscount_sandbox(orders=450)
    account = account_for(sandbox)
    from channels.download import engine

    writes = []
    write_page = engine._write_page

    def recording(state, plan, on_page):
        # what the database holds when this page's write starts: every earlier page, committed
        committed = Order.objects.filter(channel_account=account).count()
        writes.append((committed, len(plan.new)))
        write_page(state, plan, on_page)

    monkeypatch.setattr(engine, "_write_page", recording)

    # when
    run = download(account)

    # then every page was written after the previous one's commit
    assert run.status == SyncRun.Status.COMPLETED
    assert len(writes) == run.pages == 5
    created_before = [sum(new for _, new in writes[:i]) for i in range(len(writes))]
    assert [committed for committed, _ in writes] == created_before
    assert local(account) == importable(sandbox, allow_unpaid=False)
    assert run.created == len(local(account))


def test_a_page_whose_write_fails_leaves_the_pages_before_it_and_the_next_run_completes(
    make_cdiscount_sandbox, monkeypatch
):
    # given 450 orders (5 pages) and a write that fails on the third page
    sandbox = make_cdiscount_sandbox(orders=450)
    account = account_for(sandbox)
    from channels.download import engine

    create_new = engine._create_new
    calls = []

    def failing_third(state, candidates):
        calls.append(len(candidates))
        if len(calls) == 3:
            raise RuntimeError("the database went away")
        return create_new(state, candidates)

    monkeypatch.setattr(engine, "_create_new", failing_third)

    # when
    run = download(account)

    # then the run failed after two whole pages, the third rolled back and no later one written
    assert run.status == SyncRun.Status.FAILED
    assert run.error.startswith("The download stopped")
    assert run.pages == 2
    assert Order.objects.filter(channel_account=account).count() == run.created == sum(calls[:2])
    account.refresh_from_db()
    assert account.download_watermark is None

    # when the next run reads the same window again
    monkeypatch.setattr(engine, "_create_new", create_new)
    again = download(account)

    # then it completes with every order once
    assert again.status == SyncRun.Status.COMPLETED
    expected = importable(sandbox, allow_unpaid=False)
    assert local(account) == expected
    assert again.created == len(expected) - run.created
    assert Payment.objects.filter(order__channel_account=account).count() == len(expected)
