"""Upload invoices to Cdiscount in a real Chromium (issue 21): the admin turns the option on under
General Settings > Fulfillment, ships an order and uploads its tracking, the beat's tick runs the
invoice upload, and Order Details shows the invoice Uploaded with its history. Celery runs
eagerly. Set SCREENSHOT_DIR to keep a PNG of each page."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from channels.models import CdiscountAccount, InvoiceUpload, SyncRun
from channels.services import download_run_now
from channels.tasks import invoice_upload_tick_task
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
    """The demo seed on a sandbox of this test holding one order to ship, downloaded."""
    sandbox = make_cdiscount_sandbox(orders=0, seed=21, invoice_import_seconds=0)
    settings.CDISCOUNT_SANDBOX_URL = sandbox.base_url
    settings.CDISCOUNT_HTTP_TIMEOUT = 2.0
    settings.CDISCOUNT_BACKOFF_BASE = 0.005
    seed = demo_seed(admin_password=PASSWORD)
    CdiscountAccount.objects.filter(company=seed.company).update(download_enabled=False, upload_enabled=True)
    account = CdiscountAccount.objects.get(company=seed.company)
    (order_id,) = sandbox.control.create_orders(status="InPreparation")
    now = timezone.now()
    run = download_run_now(account=account, trigger=SyncRun.Trigger.COMMAND,
                           date_from=now - timedelta(days=1), date_to=now + timedelta(hours=1))  # fmt: skip
    assert run is not None and run.created == 1
    return seed, sandbox, Order.objects.get(channel_account=account, channel_order_id=order_id)


def shot(page, name: str) -> None:
    directory = os.environ.get("SCREENSHOT_DIR")
    if directory:
        page.screenshot(path=str(Path(directory) / f"{name}.png"), full_page=True)


def open_actions(page, item: str) -> None:
    page.locator("main .page-actions").get_by_role("button", name="Actions").click()
    page.locator("main .page-actions").get_by_role("menuitem", name=item, exact=True).click()


def test_turn_the_option_on_ship_an_order_and_see_its_invoice_uploaded(page, live_server, demo):
    seed, sandbox, order = demo
    company = seed.company

    # given the demo admin, logged in
    page.goto(live_server.url + "/login/")
    page.get_by_label("Username").fill(seed.admin.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # when General Settings > Edit > Fulfillment > Upload invoices to Cdiscount, Save
    page.goto(live_server.url + f"/companies/{company.pk}/cdiscount/")
    page.locator("main .page-actions").get_by_role("link", name="Edit").click()
    page.get_by_label("Upload invoices to Cdiscount", exact=True).check()
    page.get_by_role("button", name="Save").click()
    page.get_by_role("status").filter(has_text="Cdiscount settings saved.").wait_for()
    assert page.get_by_test_id("invoice-upload-setting").inner_text().startswith("Yes")
    shot(page, "invoice-upload-setting")

    # and the order is shipped on Order Details, its tracking uploaded (Upload Fulfillment Now)
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    open_actions(page, "Ship Order")
    page.get_by_label("Carrier").fill("Colissimo")
    page.get_by_label("Tracking number").fill(f"6A{order.channel_order_id}")
    page.get_by_label("Shipping cost").fill("6.90")
    page.get_by_role("button", name="Ship Order").click()
    page.get_by_test_id("upload-status").filter(has_text="Pending").wait_for()
    page.goto(live_server.url + f"/companies/{company.pk}/cdiscount/")
    open_actions(page, "Upload Fulfillment Now")
    page.locator('#run-body[data-status="completed"]').wait_for()

    # and the beat's next tick runs the invoice upload
    assert invoice_upload_tick_task() == [order.channel_account_id]

    # then Order Details shows the invoice Uploaded, with its history
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    upload = InvoiceUpload.objects.select_related("invoice").get(order=order)
    assert upload.status == InvoiceUpload.Status.UPLOADED
    panel = page.locator("section", has=page.locator("#od-invoice-uploads"))
    assert panel.get_by_test_id("invoice-upload-document").inner_text() == f"Invoice {upload.invoice.number}"
    assert panel.get_by_test_id("invoice-upload-status").inner_text() == "Uploaded"
    assert "uploaded to Cdiscount (import" in panel.get_by_test_id("invoice-upload-history").inner_text()
    panel.scroll_into_view_if_needed()
    shot(page, "order-details-invoice-uploaded")
    # ... and Cdiscount received that one invoice once
    posts = [r for r in sandbox.requests(path_contains="/invoice-documents") if r.method == "POST"]
    assert [(p.status, p.body["file"]["fileName"]) for p in posts] == [(201, f"{upload.invoice.number}.pdf")]
