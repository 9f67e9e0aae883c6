"""A run's page says what the run did (issue 24, point 12): the orders a small run touched, the
order of a Download Order by ID, and the rate limits, retries and token requests it met."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from channels.models import SyncRun
from channels.services import download_run_now
from orders.models import Order
from tests.channels.sandbox_helpers import account_for

pytestmark = pytest.mark.django_db


def download(account, **kwargs):
    now = timezone.now()
    return download_run_now(
        account=account,
        trigger=SyncRun.Trigger.COMMAND,
        date_from=now - timedelta(days=1),
        date_to=now + timedelta(hours=1),
        **kwargs,
    )


def test_a_small_download_lists_its_orders_and_says_what_it_met(make_cdiscount_sandbox, manager_client, company):
    sandbox = make_cdiscount_sandbox(orders=0)
    account = account_for(sandbox, company=company)
    ids = sandbox.control.create_orders(count=3, status="InPreparation")
    sandbox.control.set_faults(next_rate_limits=3, retry_after=0.05)

    run = download(account)

    assert run.status == SyncRun.Status.COMPLETED and run.created == 3
    assert "3 rate limits (HTTP 429)" in run.log and "1 token request" in run.log
    page = manager_client.get(reverse("sync_run", args=[run.pk])).content.decode()
    for channel_order_id in ids:
        order = Order.objects.get(channel_account=account, channel_order_id=channel_order_id)
        assert reverse("orders:detail", args=[order.pk]) in page
    assert "Nothing besides the counts" not in page and "3 rate limits (HTTP 429)" in page


def test_download_order_by_id_links_to_its_order(make_cdiscount_sandbox, manager_client, company):
    sandbox = make_cdiscount_sandbox(orders=0)
    account = account_for(sandbox, company=company)
    (channel_order_id,) = sandbox.control.create_orders(count=1, status="InPreparation")

    run = download_run_now(account=account, trigger=SyncRun.Trigger.MANUAL, channel_order_id=channel_order_id)

    order = Order.objects.get(channel_account=account, channel_order_id=channel_order_id)
    page = manager_client.get(reverse("sync_run", args=[run.pk])).content.decode()
    assert f'href="{reverse("orders:detail", args=[order.pk])}" data-order-link' in page
