"""Every grid fits 1280 px without scrolling sideways (issue 24, point 3): Manage Orders (for a
user of one company and of several, with long names) and the Sync Log (with an error)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from channels.models import SyncRun
from orders.choices import OrderStatus, PaymentStatus, ShippingStatus
from tests.browser.test_shell import log_in
from tests.factories import CompanyFactory, MembershipFactory, OrderFactory, UserFactory

pytestmark = [pytest.mark.browser]

LONG_NAME = "Marie-Hélène de La Rochefoucauld-Montmorency"
LONG_COMPANY = "Établissements Lumière et Fils — Distribution Sud-Ouest SAS"


def overflow(page, selector):
    return page.eval_on_selector(selector, "e => e.scrollWidth - e.clientWidth")


@pytest.fixture
def data(transactional_db):
    one, two = CompanyFactory(name=LONG_COMPANY), CompanyFactory(name="Maison Lumière SAS")
    UserFactory(username="admin", is_client_admin=True)  # sees every company
    solo = UserFactory(username="solo")
    MembershipFactory(user=solo, company=one, can_view_orders=True, can_manage_channel=True)
    for company in (one, two):
        OrderFactory(
            company=company,
            customer_name=LONG_NAME,
            status=OrderStatus.PROBLEM,
            payment_status=PaymentStatus.PARTIAL_REFUND,
            shipping_status=ShippingStatus.PARTIALLY_SHIPPED,
            ship_confirmed_at=timezone.now(),
            ship_by=timezone.now() + timedelta(days=2),
            grand_total=Decimal("12345.67"),
        )
        SyncRun.objects.create(
            account=company.cdiscount_account,
            kind=SyncRun.Kind.DOWNLOAD,
            status=SyncRun.Status.FAILED,
            created=120,
            updated=45,
            unchanged=3000,
            skipped=12,
            failed=7,
            error="Cdiscount could not be reached (HTTP 503): Service Unavailable. The next run tries again.",
        )


@pytest.mark.parametrize("username", ["admin", "solo"])
def test_manage_orders_and_the_sync_log_fit_1280_pixels(page, live_server, data, username):
    log_in(page, live_server, username=username)

    page.goto(f"{live_server.url}/orders/")
    headers = page.locator("table.mo-grid thead").inner_text()
    assert "Grand Total" in headers and "Ship By" in headers
    assert ("Company" in headers) == (username == "admin")  # only for a user of several companies
    assert overflow(page, ".mo-grid-wrap") <= 0
    assert page.locator(f'table.mo-grid td.cut[title="{LONG_NAME}"]').count() >= 1  # cut, the whole on hover
    page.screenshot(path=f"/tmp/grid-1280-manage-orders-{username}.png", full_page=True)

    page.goto(f"{live_server.url}/sync-log/")
    row = page.locator("table.sync-log-grid tbody tr").first.inner_text()
    assert "12 skipped" in row and "7 failed" in row and "3000 unchanged" in row
    assert overflow(page, ".grid-scroll") <= 0
    page.screenshot(path=f"/tmp/grid-1280-sync-log-{username}.png", full_page=True)
