"""Import Tracking in a real Chromium (issue 14, point 2): a 300-row file is uploaded, imported in
the background while the page follows its progress, and the report is read, then read again later
from the Import Tracking page. The worker is this test: it runs the job in two steps, so the page
is seen half-way. Set SCREENSHOT_DIR to keep PNGs of the pages."""

import os
from pathlib import Path

import pytest

from orders.choices import Channel, PaymentStatus
from orders.models import Package, TrackingImportJob
from orders.services import TRACKING_NUMBER_INVALID
from orders.tasks import tracking_import_job_task
from orders.tracking_import_jobs import RunOutcome, tracking_import_job_run
from tests.browser.test_shell import log_in
from tests.factories import CompanyFactory, MembershipFactory, OrderFactory, UserFactory

pytestmark = [pytest.mark.browser]

ROWS = 300


def shot(page, name: str) -> None:
    directory = os.environ.get("SCREENSHOT_DIR")
    if directory:
        page.screenshot(path=str(Path(directory) / f"import-tracking-{name}.png"), full_page=True)


@pytest.fixture
def shop(transactional_db):
    company = CompanyFactory(name="Maison Lumière SAS")
    user = UserFactory(username="jeanne", first_name="Jeanne", last_name="Dupré")
    MembershipFactory(user=user, company=company, can_view_orders=True, can_process_orders=True)
    orders = [
        OrderFactory(
            company=company, channel=Channel.AMAZON, channel_account=None, payment_status=PaymentStatus.CHARGED
        )
        for _ in range(ROWS)
    ]
    return orders


def words(locator) -> str:
    return " ".join(locator.inner_text().split())


def tracking_csv(orders) -> bytes:
    """One row per order; every 50th has a tracking number with a space (a row error)."""
    lines = ["Order ID;Carrier;Tracking Number;Ship Date"]
    for i, order in enumerate(orders):
        tracking = f"6A {i:05}" if i % 50 == 49 else f"6A{i:05}"
        lines.append(f"{order.pk};La Poste Colissimo;{tracking};")
    return ("\r\n".join(lines) + "\r\n").encode()


def test_a_300_row_file_is_imported_in_the_background_with_progress_and_a_report(page, live_server, shop, monkeypatch):
    orders = shop
    queued: list[int] = []
    monkeypatch.setattr(tracking_import_job_task, "delay", lambda job_id: queued.append(job_id))
    log_in(page, live_server, username="jeanne")

    # given the Import Tracking page, reached from Manage Orders' Actions menu
    page.goto(f"{live_server.url}/orders/")
    page.locator(".page-actions").get_by_role("button", name="Actions").click()
    page.get_by_label("Search actions").fill("import")
    page.get_by_role("link", name="Import Tracking").click()
    page.get_by_role("heading", name="Import Tracking", exact=True).first.wait_for()

    # when the user uploads a 300-row file
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "suivi-colissimo.csv", "mimeType": "text/csv", "buffer": tracking_csv(orders)}]
    )
    page.get_by_role("button", name="Import").click()

    # then the request only queued it: the job's page waits for a worker, nothing is shipped yet
    page.get_by_role("heading", name="suivi-colissimo.csv").wait_for()
    (job_id,) = queued
    progress = page.get_by_test_id("import-progress")
    assert progress.inner_text() == f"0 of {ROWS} rows done (0%)"
    assert page.get_by_test_id("import-state").inner_text() == "Waiting for a worker…"
    assert Package.objects.count() == 0
    shot(page, "1-queued")

    # when a worker has done the first 100 rows, the page follows without a reload
    assert tracking_import_job_run(job_id=job_id, max_rows=100) == RunOutcome.PAUSED
    page.get_by_text(f"100 of {ROWS} rows done (33%)").wait_for()
    assert page.locator("progress").evaluate("e => e.value") == 100
    assert words(page.get_by_test_id("import-summary")) == "98 shipped 2 errors"
    assert page.get_by_test_id("import-state").inner_text() == "Running in the background"
    shot(page, "2-progress")

    # and when it has done them all, the page shows the report and stops asking
    assert tracking_import_job_run(job_id=job_id) == RunOutcome.COMPLETED
    page.get_by_role("heading", name="Import Tracking report").wait_for()
    assert progress.inner_text() == f"{ROWS} of {ROWS} rows done (100%)"
    assert words(page.get_by_test_id("import-summary")) == "294 shipped 6 errors"
    assert page.get_by_test_id("import-state").inner_text() == "Completed"
    assert page.locator("#ti-progress").get_attribute("hx-trigger") is None
    rows = page.locator("table.od-grid tbody tr")
    assert rows.count() == ROWS
    first = rows.first.inner_text()
    assert "Shipped" in first and "Shipped with La Poste Colissimo 6A00000" in first
    assert TRACKING_NUMBER_INVALID in page.locator('tr[data-row="51"]').inner_text()
    shot(page, "3-report")

    # the errors alone, each with what to correct
    page.get_by_role("link", name="Show only the 6 errors").click()
    page.get_by_text("Rows with an error").wait_for()
    assert [int(page.locator("table.od-grid tbody tr").nth(i).get_attribute("data-row")) for i in range(6)] == [
        51,
        101,
        151,
        201,
        251,
        301,
    ]

    # and later, from the Import Tracking page, the same report again
    page.goto(f"{live_server.url}/orders/import-tracking/")
    page.get_by_role("link", name="suivi-colissimo.csv").click()
    page.get_by_role("heading", name="Import Tracking report").wait_for()
    assert words(page.get_by_test_id("import-summary")) == "294 shipped 6 errors"
    assert Package.objects.count() == 294
    assert TrackingImportJob.objects.get(pk=job_id).status == TrackingImportJob.Status.COMPLETED
