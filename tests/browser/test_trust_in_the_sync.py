"""Issue 23 in a real Chromium: the dashboard after login, a deadline link to Manage Orders, a
reconciliation run from General Settings and a fix, and the Sync Log's coverage timeline with a
gap backfilled. Celery runs eagerly. Set SCREENSHOT_DIR to keep a PNG of each page."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from channels.models import CdiscountAccount, SyncRun
from channels.services import download_run_now
from orders.choices import Channel, OrderStatus, ShippingStatus
from orders.models import Order
from sellercloud.services import demo_seed
from tests.browser import CHROMIUM
from tests.factories import OrderFactory

PASSWORD = "lumiere-demo-test"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"),
]


@pytest.fixture
def browser_viewport():
    return {"width": 1360, "height": 900}


@pytest.fixture
def demo(transactional_db, make_cdiscount_sandbox, settings, eager_celery):
    """The demo seed on a sandbox of this test, downloaded once, plus a few orders of the website
    that are late or due today."""
    sandbox = make_cdiscount_sandbox(orders=40, seed=23)
    settings.CDISCOUNT_SANDBOX_URL = sandbox.base_url
    settings.CDISCOUNT_HTTP_TIMEOUT = 2.0
    settings.CDISCOUNT_BACKOFF_BASE = 0.005
    seed = demo_seed(admin_password=PASSWORD)
    account = CdiscountAccount.objects.get(company=seed.company)
    CdiscountAccount.objects.filter(pk=account.pk).update(upload_enabled=False, allow_unpaid_orders=False)
    account.refresh_from_db()
    assert download_run_now(account=account, trigger=SyncRun.Trigger.COMMAND) is not None
    now = timezone.now()
    for days in (1, 2, 3):
        OrderFactory(company=seed.company, channel=Channel.WEBSITE, status=OrderStatus.IN_PROCESS,
                     shipping_status=ShippingStatus.UNSHIPPED, ship_by=now - timedelta(days=days),
                     order_date=now - timedelta(days=days + 3))  # fmt: skip
    return seed, sandbox, account


def shot(page, name: str) -> None:
    directory = os.environ.get("SCREENSHOT_DIR")
    if directory:
        page.screenshot(path=str(Path(directory) / f"{name}.png"), full_page=True)


def login(page, live_server, seed) -> None:
    page.goto(live_server.url + "/login/")
    page.get_by_label("Username").fill(seed.admin.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_dashboard_deadline_link_and_a_reconciliation(page, live_server, demo):
    seed, sandbox, account = demo
    company = seed.company
    open_statuses = ["in_process", "on_hold", "problem"]
    late = Order.objects.filter(company=company, shipping_status=ShippingStatus.UNSHIPPED,
                                status__in=open_statuses, ship_by__lt=timezone.now()).count()  # fmt: skip
    assert late >= 3

    # when the admin logs in, the dashboard is the page they land on
    login(page, live_server, seed)
    page.get_by_role("heading", name=f"Dashboard — {company.name}").wait_for()
    assert page.locator('[data-figure="late"] .db-n').inner_text() == str(late)
    assert page.locator("svg[role=img]").count() == 2
    assert page.locator(".db-card").count() == 1
    shot(page, "dashboard")

    # when they follow the late orders' link, Manage Orders lists exactly those orders
    page.locator('[data-deadline="late"]').click()
    page.wait_for_url("**/orders/?*ship_by=late*")
    assert page.locator('input[name="ids"]').count() == late
    assert page.locator("#f-ship-by").input_value() == "late"
    shot(page, "manage-orders-late")

    # when Cdiscount cancels an order without a download, and they run Actions > Reconcile
    cancelled = Order.objects.filter(channel_account=account, status=OrderStatus.IN_PROCESS).first()
    assert cancelled is not None
    sandbox.control.set_status(cancelled.channel_order_id, "Cancelled")
    page.goto(live_server.url + f"/companies/{company.pk}/cdiscount/")
    page.locator("main .page-actions").get_by_role("button", name="Actions").click()
    page.locator("main .page-actions").get_by_role("menuitem", name="Reconcile", exact=True).click()

    # then the run ends Completed and its differences show the cancellation, with its fix
    page.locator('#run-body[data-status="completed"]').wait_for()
    page.get_by_role("link", name="See the differences, each with its fix ›").click()
    row = page.locator(f'tr[data-order="{cancelled.channel_order_id}"]')
    assert "Cancelled on Cdiscount, open here" in row.inner_text()
    shot(page, "reconciliation")

    # when they click the row's fix, the order is cancelled here and the row is gone
    row.get_by_role("button", name="Set Cancelled Internally").click()
    page.get_by_role("status").filter(has_text="set Cancelled Internally").wait_for()
    assert page.locator(f'tr[data-order="{cancelled.channel_order_id}"]').count() == 0
    cancelled.refresh_from_db()
    assert cancelled.status == OrderStatus.CANCELED


def test_sync_log_timeline_flags_a_gap_and_backfill_closes_it(page, live_server, demo):
    seed, _, account = demo
    # given two days with downloads off: the last good window ended two days ago
    SyncRun.objects.filter(account=account, kind="download").update(window_to=timezone.now() - timedelta(days=2))
    login(page, live_server, seed)
    page.goto(live_server.url + "/sync-log/")
    panel = page.locator(f'.ledger-account[data-account="{account.pk}"]')
    assert panel.get_attribute("data-gaps") == "1"
    assert panel.locator("rect.tl-gap").count() == 1
    shot(page, "sync-log-timeline-gap")

    # when Backfill this gap
    panel.get_by_role("button", name="Backfill this gap").click()
    page.locator('#run-body[data-status="completed"]').wait_for()

    # then the Sync Log shows no gap
    page.goto(live_server.url + "/sync-log/")
    assert page.locator(f'.ledger-account[data-account="{account.pk}"]').get_attribute("data-gaps") == "0"
    shot(page, "sync-log-timeline-closed")
