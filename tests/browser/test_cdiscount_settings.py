"""Cdiscount General Settings, Download Orders with progress, the Sync Log and Retry, in a real
Chromium (Playwright) against a sandbox started by the fixture (issue #6, SPEC S1, S7).

Celery runs eagerly here: the run happens inside the request that queues it, so no worker is
needed. Set SCREENSHOT_DIR to keep a PNG of every page visited.
"""

import os
from pathlib import Path

import pytest

from channels.download.mapping import imported_when_first_seen
from channels.models import CdiscountAccount, SyncProblem, SyncRun
from orders.models import Order
from sellercloud.services import demo_seed
from tests.browser import CHROMIUM

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
    """The demo seed, its account pointing at a sandbox of this test, all three switches off."""
    sandbox = make_cdiscount_sandbox(orders=40, seed=77)
    settings.CDISCOUNT_SANDBOX_URL = sandbox.base_url
    settings.CDISCOUNT_HTTP_TIMEOUT = 2.0
    settings.CDISCOUNT_BACKOFF_BASE = 0.005
    seed = demo_seed(admin_password=PASSWORD)
    CdiscountAccount.objects.filter(company=seed.company).update(
        download_enabled=False, allow_unpaid_orders=False, upload_enabled=False, next_download_at=None
    )
    return seed, sandbox


def shot(page, name: str) -> None:
    directory = os.environ.get("SCREENSHOT_DIR")
    if directory:
        page.screenshot(path=str(Path(directory) / f"{name}.png"), full_page=True)


def open_actions(page, item: str) -> None:
    page.locator("main .page-actions").get_by_role("button", name="Actions").click()
    page.locator("main .page-actions").get_by_role("menuitem", name=item, exact=True).click()


def test_settings_download_orders_sync_log_and_retry(page, live_server, demo):
    seed, sandbox = demo
    company = seed.company
    # One order the marketplace sends malformed: it must become a problem, and Retry must import it once fixed.
    [broken] = sandbox.control.create_orders(status="InPreparation", malformed="bad_price")
    statuses = {o["orderId"]: o["status"] for o in sandbox.control._call("GET", "/orders")["orders"]}
    importable = {
        oid for oid, status in statuses.items() if imported_when_first_seen(status=status, allow_unpaid=True)
    } - {broken}

    # given the demo admin, logged in
    page.goto(live_server.url + "/")
    page.get_by_label("Username").fill(seed.admin.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # when Company Settings > Toolbox > Cdiscount > General Settings > Edit
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Company Settings").click()
    page.get_by_role("navigation", name="Toolbox").get_by_role("link", name="General Settings").click()
    page.get_by_role("heading", name=f"Cdiscount General Settings — {company.name}").wait_for()
    shot(page, "settings-view-before")
    page.locator("main .page-actions").get_by_role("link", name="Edit").click()
    shot(page, "settings-edit")

    # and makes sure the three switches are ticked, then Save
    for label in ("Enable Order Download", "Allow UnPaid Order", "Enable Order Fulfillment Upload"):
        page.get_by_label(label, exact=True).check()
    page.get_by_role("button", name="Save").click()

    # then the settings are saved, and turning Allow UnPaid Order on started a backfill
    saved = page.get_by_role("status").filter(has_text="Cdiscount settings saved.")
    saved.wait_for()
    assert "a download of the last 30 days started" in saved.inner_text()
    account = CdiscountAccount.objects.get(company=company)
    assert account.download_enabled and account.allow_unpaid_orders and account.upload_enabled
    assert page.locator("#changes-h").is_visible()
    assert page.get_by_role("cell", name="Allow UnPaid Order").count() == 1
    shot(page, "settings-view-saved")

    # when Actions > Download Orders (no dates: an ordinary run)
    open_actions(page, "Download Orders")
    shot(page, "download-orders")
    page.get_by_role("button", name="Download").click()

    # then its progress ends Completed or Partial Success, with counts matching the sandbox
    page.locator('#run-body[data-status="partial"], #run-body[data-status="completed"]').wait_for()
    run = SyncRun.objects.filter(kind="download", is_backfill=False).get()
    assert run.status == SyncRun.Status.PARTIAL  # the malformed order failed, the rest imported
    counts = {
        name: int(page.locator(f'[data-count="{name}"]').inner_text())
        for name in ("created", "updated", "unchanged", "skipped", "failed")
    }
    assert counts["failed"] == 1
    assert counts["created"] + counts["updated"] + counts["unchanged"] == len(importable)
    assert sum(counts.values()) == len(statuses)
    assert set(Order.objects.filter(channel_account=account).values_list("channel_order_id", flat=True)) == importable
    problem_row = page.locator(f'tr[data-order="{broken}"]')
    assert problem_row.is_visible()
    shot(page, "run-partial")

    # and the Sync Log lists the run
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Sync Log").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=str(run.pk), exact=True))
    assert "Partial Success" in row.inner_text()
    shot(page, "sync-log")

    # when the marketplace repairs the order and the user clicks Retry on the problem
    row.get_by_role("link", name=str(run.pk), exact=True).click()
    sandbox.control.repair(broken)
    page.locator(f'tr[data-order="{broken}"]').get_by_role("button", name="Retry").click()

    # then it is imported once and the problem shows Resolved
    page.get_by_role("status").filter(has_text=f"Order {broken} imported").wait_for()
    assert "Resolved" in page.locator(f'tr[data-order="{broken}"]').inner_text()
    assert Order.objects.filter(channel_account=account, channel_order_id=broken).count() == 1
    assert not SyncProblem.objects.filter(channel_order_id=broken, resolved_at__isnull=True).exists()
    shot(page, "run-retried")


def test_run_page_follows_a_running_download_until_it_ends(page, live_server, demo):
    seed, _ = demo
    account = CdiscountAccount.objects.get(company=seed.company)
    run = SyncRun.objects.create(account=account, kind="download", status="processing", pages=1, created=40)

    page.goto(live_server.url + "/")
    page.get_by_label("Username").fill(seed.admin.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/sync-log/{run.pk}/")
    assert page.locator('[data-count="created"]').inner_text() == "40"
    shot(page, "run-processing")

    # when the worker moves on, the page follows without a reload; once finished it stops asking
    SyncRun.objects.filter(pk=run.pk).update(pages=3, created=250)
    page.locator('[data-count="created"]', has_text="250").wait_for()
    SyncRun.objects.filter(pk=run.pk).update(status="completed")
    page.locator('#run-body[data-status="completed"]').wait_for()
    assert page.locator("#run-body").get_attribute("hx-trigger") is None
