"""Bulk Print Invoices in a real Chromium (Playwright): tick three orders in Manage Orders, print
them from the Actions menu, follow the job's progress page and download one PDF whose pages are in
the grid's order (issue 19). The job's task runs in the server's process (eager Celery)."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from pypdf import PdfReader

from invoices.models import Invoice
from tests.browser.test_shell import log_in
from tests.factories import MembershipFactory, UserFactory
from tests.invoices.conftest import LEGAL, make_order

pytestmark = [pytest.mark.browser]

SCREENSHOTS = "/tmp/bulk-print-{}.png"


@pytest.fixture
def shop(transactional_db):
    from tests.factories import CompanyFactory

    company = CompanyFactory(**LEGAL)
    user = UserFactory(username="jeanne", first_name="Jeanne", last_name="Dupré")
    MembershipFactory(user=user, company=company, can_view_orders=True, can_process_orders=True)
    now = timezone.now()
    # Created oldest first with the newest order date first: the grid (newest first) shows them
    # in another order than their ids'.
    return [
        make_order(company, [("LAMP", f"Lampe {n}", 1, "19.99", "4.99")], order_date=now - timedelta(days=days))
        for n, days in ((1, 1), (2, 3), (3, 2))
    ]


def test_tick_three_orders_print_them_and_get_one_pdf_in_the_grids_order(page, live_server, shop, eager_celery):
    log_in(page, live_server, username="jeanne")
    page.goto(f"{live_server.url}/orders/")
    page.get_by_role("heading", name="Manage Orders").wait_for()
    grid_ids = [
        int(label.split()[-1])
        for label in page.locator("table.mo-grid tbody input[type=checkbox]").evaluate_all(
            "boxes => boxes.map(b => b.getAttribute('aria-label'))"
        )
    ]
    assert sorted(grid_ids) == sorted(o.pk for o in shop) and grid_ids != sorted(grid_ids)

    for order_id in grid_ids:
        page.get_by_label(f"Select order {order_id}").check()
    page.locator(".page-actions").get_by_role("button", name="Actions").click()
    page.get_by_label("Search actions").fill("print")
    page.screenshot(path=SCREENSHOTS.format("1-actions"), full_page=True)
    page.get_by_role("button", name="Bulk Print Invoices", exact=True).click()

    # the job's page shows its progress, then the download
    page.get_by_role("heading", name="Bulk Print Invoices", exact=True).wait_for()
    page.get_by_text("3 of 3 orders done: 3 printed, 0 refused.").wait_for()
    bar = page.get_by_label("Progress")
    assert (bar.get_attribute("value"), bar.get_attribute("max")) == ("3", "3")
    page.screenshot(path=SCREENSHOTS.format("2-progress"), full_page=True)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the PDF").click()
    pdf = Path(download_info.value.path()).read_bytes()

    numbers = {i.order_id: i.number for i in Invoice.objects.all()}
    pages = [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) == 3
    for text, order_id in zip(pages, grid_ids, strict=True):
        assert numbers[order_id] in text
