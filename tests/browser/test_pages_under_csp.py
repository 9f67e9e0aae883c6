"""Every page under the Content-Security-Policy, in a real Chromium (issue 13).

The page fixture (tests/browser/conftest.py) fails a test on any policy violation or script error;
these tests visit the pages the other browser tests do not, and use what runs on them: the ship
form's carrier template, the refund form's amounts, Failed Uploads' "select all", a bulk job's
progress, the Django admin. Set SCREENSHOT_DIR to keep a PNG of some of them.
"""

import os
from decimal import Decimal
from pathlib import Path

import pytest

from channels.models import CarrierMapping, SyncRun
from orders.bulk import bulk_job_run_chunk
from orders.choices import OrderStatus, UploadStatus
from orders.models import Order
from orders.payments import order_refresh_payment_status
from orders.tasks import bulk_apply_task, tracking_import_job_task
from orders.tracking_import_jobs import tracking_import_job_run
from sellercloud.models import Membership
from tests.browser.test_shell import log_in
from tests.factories import (
    CdiscountAccountFactory,
    CompanyFactory,
    OrderFactory,
    OrderItemFactory,
    PackageFactory,
    PaymentFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser]

TEMPLATE = "https://www.laposte.fr/outils/suivre-vos-envois?code={tracking_number}"


def shot(page, name: str) -> None:
    directory = os.environ.get("SCREENSHOT_DIR")
    if directory:
        page.screenshot(path=str(Path(directory) / f"csp-{name}.png"), full_page=True)


def paid_order(company, **fields) -> Order:
    order = OrderFactory(company=company, **fields)
    OrderItemFactory(order=order)
    PaymentFactory(order=order, amount=Decimal("100.00"), operation_type="Cdiscount")
    PaymentFactory(order=order, amount=Decimal("23.79"), operation_type="Gift card", method="Gift card")
    order_refresh_payment_status(order=order)
    return order


@pytest.fixture
def shop(transactional_db):
    company = CompanyFactory(name="Maison Lumière SAS")
    admin = UserFactory(username="admin", is_client_admin=True, is_staff=True, is_superuser=True)
    Membership.objects.create(user=admin, company=company)
    account = CdiscountAccountFactory(company=company)
    CarrierMapping.objects.create(
        account=account, carrier="La Poste Colissimo", cdiscount_carrier="Colissimo", tracking_url_template=TEMPLATE
    )
    to_ship = paid_order(company)
    spare = paid_order(company)
    shipped = paid_order(company, status=OrderStatus.COMPLETED)
    # one package stored before URLs were checked, one refused by Cdiscount
    PackageFactory(order=shipped, tracking_number="6A00000000001", tracking_url="javascript:alert(document.domain)")
    failed = paid_order(company, status=OrderStatus.COMPLETED)
    PackageFactory(order=failed, upload_status=UploadStatus.FAILED, upload_error="Unknown carrier", upload_attempts=1)
    failed_too = paid_order(company, status=OrderStatus.COMPLETED)
    PackageFactory(order=failed_too, upload_status=UploadStatus.FAILED, upload_error="Unknown carrier")
    run = SyncRun.objects.create(account=account, kind="download", status="completed", pages=1, created=3)
    return company, account, run, {"to_ship": to_ship, "spare": spare, "shipped": shipped, "failed": failed}


def test_every_page_works_under_the_policy(page, live_server, shop, monkeypatch):
    company, account, run, orders = shop
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    url = live_server.url
    log_in(page, live_server)

    # the shell's pages, each styled (the stylesheet applies) and with its menus
    for path, heading in [
        ("/", "Home"),
        ("/companies/", "Companies"),
        (f"/companies/{company.pk}/", f"Company Settings — {company.name}"),
        (f"/companies/{company.pk}/edit/", None),
        ("/users/", "Users"),
        ("/users/add/", None),
        ("/account/password/", None),
        ("/orders/", "Manage Orders"),
        ("/orders/import-tracking/", None),
        (f"/companies/{company.pk}/cdiscount/", f"Cdiscount General Settings — {company.name}"),
        (f"/companies/{company.pk}/cdiscount/edit/", None),
        (f"/companies/{company.pk}/cdiscount/download/", None),
        ("/sync-log/", "Sync Log"),
        (f"/sync-log/{run.pk}/", None),
        ("/dashboard/", None),
        ("/dashboard/?all=1", None),
        (f"/companies/{company.pk}/cdiscount/reconciliation/", None),
        ("/no-such-page/", "Page not found"),
    ]:
        response = page.goto(url + path)
        assert response is not None and response.status == (404 if "no-such" in path else 200), path
        if heading:
            page.get_by_role("heading", name=heading, exact=True).first.wait_for()
        assert page.locator(".topbar").evaluate("e => getComputedStyle(e).position") == "sticky", path
    page.goto(f"{url}/companies/{company.pk}/")
    page.locator("main .page-actions").get_by_role("button", name="Actions").click()
    assert page.locator("main .page-actions").get_by_role("menu").is_visible()
    shot(page, "company-settings-menu")

    # Order Details: a stored script URL is no link
    page.goto(f"{url}/orders/{orders['shipped'].pk}/")
    assert page.get_by_role("cell", name="6A00000000001", exact=True).is_visible()
    assert page.locator('a[href^="javascript:"]').count() == 0
    shot(page, "order-details")

    # Ship Order: the carrier's template fills Tracking URL as the user types
    page.goto(f"{url}/orders/{orders['to_ship'].pk}/ship/")
    page.get_by_label("Carrier").fill("La Poste Colissimo")
    page.get_by_label("Tracking number").fill("6A99")
    assert page.get_by_label("Tracking URL").input_value() == TEMPLATE.format(tracking_number="6A99")
    shot(page, "ship-form")

    # Issue Refund: the amount follows the Operation Type
    page.goto(f"{url}/orders/{orders['to_ship'].pk}/refund/")
    assert page.get_by_label("Amount To Refund").input_value() == "100.00"
    page.get_by_label("Operation Type").select_option(label="Gift card (23.79 EUR paid, 23.79 refundable)")
    assert page.get_by_label("Amount To Refund").input_value() == "23.79"

    # Import Tracking: a file in, a report out (the job run at once, as a free worker would;
    # tests/browser/test_import_tracking.py follows a job's progress)
    monkeypatch.setattr(tracking_import_job_task, "delay", lambda job_id: tracking_import_job_run(job_id=job_id))
    page.goto(f"{url}/orders/import-tracking/")
    csv = f"order_id,carrier,tracking number\n{orders['to_ship'].pk},La Poste Colissimo,6A98\n"
    page.locator('input[type="file"]').set_input_files(
        files=[{"name": "tracking.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Shipped with La Poste Colissimo 6A98").first.wait_for()

    # Failed Uploads: "select every package" ticks them all; "retry all" asks first
    page.goto(f"{url}/companies/{company.pk}/cdiscount/failed-uploads/")
    page.get_by_label("Select every package on this page").check()
    boxes = page.locator('input[name="package_ids"]')
    assert boxes.count() == 2 and all(boxes.nth(i).is_checked() for i in range(2))
    shot(page, "failed-uploads")
    page.get_by_role("button", name="Retry upload (all 2)").click()
    assert dialogs == ["Retry the upload of all 2 failed packages?"]
    assert page.url.endswith("/failed-uploads/")  # dismissed: nothing posted

    # the Django admin
    for path in ("/admin/", "/admin/orders/order/", f"/admin/orders/order/{orders['shipped'].pk}/change/"):
        response = page.goto(url + path)
        assert response is not None and response.status == 200, path
        assert page.locator("#header").evaluate("e => getComputedStyle(e).display") != "inline", path

    # logged out: the public pages
    page.goto(url + "/")
    page.get_by_role("button", name="Jeanne Dupré").click()
    page.get_by_role("menuitem", name="Log out").click()
    page.get_by_role("heading", name="Log in").wait_for()
    shot(page, "login")
    for path in ("/password-reset/", "/no-such-page/"):
        page.goto(url + path)
        assert page.locator(".public-panel").evaluate("e => getComputedStyle(e).display") == "block", path


def test_a_bulk_job_shows_its_progress_until_it_ends(page, live_server, shop, settings, monkeypatch):
    company, _, _, orders = shop
    settings.ORDERS_BULK_INLINE_LIMIT = 1  # two orders go to the background
    queued = []
    monkeypatch.setattr(bulk_apply_task, "delay", lambda *args: queued.append(args))
    log_in(page, live_server)

    # when two orders are put on hold from Manage Orders
    page.goto(f"{live_server.url}/orders/")
    for order in (orders["to_ship"], orders["spare"]):
        page.get_by_label(f"Select order {order.pk}").check()
    page.locator(".page-actions").get_by_role("button", name="Actions").click()
    page.get_by_label("Search actions").fill("hold")
    page.get_by_role("button", name="Set On Hold", exact=True).click()
    page.get_by_label("Reason").fill("Adresse à vérifier")
    page.get_by_role("button", name="Set On Hold on 2 orders").click()

    # then the job page follows the background work until it is done
    state = page.locator("[data-mo-job-state]")
    assert state.inner_text() == "Running in the background"
    ((job_id, action, ids, user_id, text),) = queued
    bulk_job_run_chunk(job_id=job_id, action=action, order_ids=ids, user_id=user_id, text=text)
    page.locator("[data-mo-job-state]", has_text="Finished").wait_for()
    assert "2 of 2 orders done: 2 changed" in page.locator("[data-mo-job-text]").inner_text()
    assert page.locator("[data-mo-job-bar]").evaluate("e => e.value") == 2
    shot(page, "bulk-job")
