"""Bulk Print Invoices from Manage Orders (issue 19): one PDF of the ticked or filtered orders in
the grid's order, made in the background with progress, the refused orders listed with their
reason; a re-run prints the same numbers."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from invoices.models import Invoice
from orders.bulk import BULK_ACTIONS
from tests.factories import MembershipFactory, UserFactory
from tests.invoices.conftest import make_order, pdf_text

BULK = reverse("orders:bulk")
LINES = [("LAMP", "Lampe Élise", 1, "49.90", "4.99")]


@pytest.fixture
def processor_client(client, legal_company):
    user = UserFactory(username="jeanne")
    MembershipFactory(user=user, company=legal_company, can_view_orders=True, can_process_orders=True)
    client.force_login(user)
    return client


@pytest.fixture
def run_jobs(eager_celery, django_capture_on_commit_callbacks):
    """Post to the bulk endpoint, running the job's task once the request commits."""

    def post(client, data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(BULK, data)

    return post


def download(client, url) -> bytes:
    """The job's PDF, read from the file the response streams."""
    response = client.get(url)
    assert response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content)


def invoice_numbers(pdf: bytes) -> list[str]:
    """The invoice number on each page, in page order."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    numbers = []
    for page in pages:
        text = page.extract_text() or ""
        numbers.append(next(word for word in text.split() if word.startswith("F20")))
    return numbers


def test_invoices_registers_bulk_print_in_the_orders_menu():
    action = BULK_ACTIONS["bulk_print_invoices"]
    assert action.label == "Bulk Print Invoices"
    assert action.start is not None


def test_ticked_orders_print_into_one_pdf_in_the_grid_order_with_the_refused_listed(
    processor_client, legal_company, run_jobs
):
    paid = [make_order(legal_company, LINES) for _ in range(3)]
    unpaid = make_order(legal_company, LINES, pay=False)
    ids = [o.pk for o in [*paid, unpaid]]

    response = run_jobs(processor_client, {"action": "bulk_print_invoices", "ids": ids, "query": "sort=-id"})

    assert response.status_code == 302
    job_url = response["Location"]
    status = processor_client.get(job_url, {"format": "json"}).json()
    assert status["finished"] is True
    assert (status["total"], status["done"], status["printed"], status["failed"]) == (4, 4, 3, 1)
    assert status["failures"] == [[unpaid.pk, "No payment has been applied to this order: it is invoiced once paid."]]
    assert "3 printed, 1 refused" in processor_client.get(job_url).content.decode()

    pdf = download(processor_client, status["download_url"])
    numbers = {i.order_id: i.number for i in Invoice.objects.filter(order__in=paid)}
    in_grid_order = [numbers[o.pk] for o in reversed(paid)]  # sort=-id: the newest first
    assert invoice_numbers(pdf) == in_grid_order
    assert not Invoice.objects.filter(order=unpaid).exists()

    # A re-run prints the same numbers: each order keeps its invoice.
    again = run_jobs(processor_client, {"action": "bulk_print_invoices", "ids": ids, "query": "sort=-id"})
    url = processor_client.get(again["Location"], {"format": "json"}).json()["download_url"]
    assert invoice_numbers(download(processor_client, url)) == in_grid_order
    assert Invoice.objects.filter(order__in=paid).count() == 3


def test_all_filtered_orders_ask_a_confirmation_with_the_count_first(processor_client, legal_company, run_jobs):
    orders = [make_order(legal_company, LINES) for _ in range(2)]
    data = {"action": "bulk_print_invoices", "all": "1", "query": "sort=id"}

    confirm = processor_client.post(BULK, data)
    assert confirm.status_code == 200
    assert "Bulk Print Invoices on <strong>2 orders</strong>" in confirm.content.decode()
    assert not Invoice.objects.exists()

    response = run_jobs(processor_client, {**data, "confirmed": "1"})
    status = processor_client.get(response["Location"], {"format": "json"}).json()
    assert (status["printed"], status["finished"]) == (2, True)
    pdf = download(processor_client, status["download_url"])
    assert invoice_numbers(pdf) == [Invoice.objects.get(order=o).number for o in orders]
    assert "Lampe Élise" in pdf_text(pdf)


def test_the_job_and_its_pdf_are_only_its_owners(client, processor_client, legal_company, run_jobs):
    order = make_order(legal_company, LINES)
    job_url = run_jobs(processor_client, {"action": "bulk_print_invoices", "ids": [order.pk]})["Location"]
    pdf_url = processor_client.get(job_url, {"format": "json"}).json()["download_url"]

    other = UserFactory()
    MembershipFactory(user=other, company=legal_company, can_view_orders=True, can_process_orders=True)
    client.force_login(other)
    assert client.get(job_url).status_code == 404
    assert client.get(pdf_url).status_code == 404


def test_nothing_printable_offers_no_download(processor_client, legal_company, run_jobs):
    unpaid = make_order(legal_company, LINES, pay=False)
    job_url = run_jobs(processor_client, {"action": "bulk_print_invoices", "ids": [unpaid.pk]})["Location"]
    status = processor_client.get(job_url, {"format": "json"}).json()
    assert (status["finished"], status["printed"], status["download_url"]) == (True, 0, "")


def test_more_orders_than_a_job_takes_are_refused_with_nothing_done(
    processor_client, legal_company, run_jobs, monkeypatch
):
    from orders.bulk import BulkAction

    monkeypatch.setitem(
        BULK_ACTIONS,
        "bulk_print_invoices",
        BulkAction(**{**vars(BULK_ACTIONS["bulk_print_invoices"]), "max_orders": 1}),
    )
    orders = [make_order(legal_company, LINES) for _ in range(2)]

    response = run_jobs(processor_client, {"action": "bulk_print_invoices", "ids": [o.pk for o in orders]})

    assert response.status_code == 302 and "/bulk-print/" not in response["Location"]
    page = processor_client.get(response["Location"]).content.decode()
    assert "takes at most 1 orders at once and 2 are chosen" in page
    assert not Invoice.objects.exists()


def test_an_unexpected_error_on_one_order_is_listed_and_the_others_printed(
    processor_client, legal_company, run_jobs, monkeypatch
):
    from invoices import bulk_print_job

    broken, fine = make_order(legal_company, LINES), make_order(legal_company, LINES)

    real_issue = bulk_print_job.invoice_issue

    def flaky(*, order, by):
        if order.pk == broken.pk:
            raise RuntimeError("disk full")
        return real_issue(order=order, by=by)

    monkeypatch.setattr(bulk_print_job, "invoice_issue", flaky)
    job_url = run_jobs(processor_client, {"action": "bulk_print_invoices", "ids": [broken.pk, fine.pk]})["Location"]
    status = processor_client.get(job_url, {"format": "json"}).json()
    assert (status["finished"], status["printed"], status["failed"]) == (True, 1, 1)
    assert status["failures"][0][0] == broken.pk and "unexpected error" in status["failures"][0][1]


def test_orders_left_when_the_time_is_up_are_listed_and_those_printed_kept(
    processor_client, legal_company, run_jobs, settings
):
    settings.INVOICES_BULK_PRINT_SECONDS = 0
    order = make_order(legal_company, LINES)
    job_url = run_jobs(processor_client, {"action": "bulk_print_invoices", "ids": [order.pk]})["Location"]
    status = processor_client.get(job_url, {"format": "json"}).json()
    assert (status["finished"], status["printed"], status["failed"]) == (True, 0, 1)
    assert "ran out of time" in status["failures"][0][1]
    assert not Invoice.objects.exists()


def test_chunks_rendered_apart_are_merged_in_the_grid_order(processor_client, legal_company, run_jobs, settings):
    settings.INVOICES_BULK_PRINT_CHUNK = 2  # five orders: three chunks, each its own task
    orders = [make_order(legal_company, LINES) for _ in range(5)]

    data = {"action": "bulk_print_invoices", "ids": [o.pk for o in orders], "query": "sort=id"}
    job_url = run_jobs(processor_client, data)["Location"]

    status = processor_client.get(job_url, {"format": "json"}).json()
    assert (status["finished"], status["printed"], status["done"]) == (True, 5, 5)
    numbers = {i.order_id: i.number for i in Invoice.objects.all()}
    assert invoice_numbers(download(processor_client, status["download_url"])) == [numbers[o.pk] for o in orders]


def test_steps_delivered_again_print_the_same_numbers_and_count_each_print_once(
    processor_client, legal_company, settings, django_capture_on_commit_callbacks
):
    """A worker that dies after its step is done gets the step delivered again: nothing doubles."""
    from invoices import bulk_print, bulk_print_job

    settings.INVOICES_BULK_PRINT_CHUNK = 2
    orders = [make_order(legal_company, LINES) for _ in range(3)]
    queued, chunks = [], []
    user = processor_client.get(reverse("orders:list")).wsgi_request.user
    with django_capture_on_commit_callbacks(execute=True):
        job_id = bulk_print.bulk_print_start(user=user, order_ids=[o.pk for o in orders], enqueue=queued.append)

    for _ in range(2):  # the issuing step twice
        bulk_print_job.bulk_print_issue(queued[0], max_seconds=60, enqueue_chunk=chunks.append)
    assert chunks == [0, 1, 0, 1]
    for index in chunks:  # each chunk twice, the last merge twice
        bulk_print_job.bulk_print_render_chunk(job_id, index, max_seconds=60)

    assert Invoice.objects.count() == 3
    assert sorted(Invoice.objects.values_list("printed_count", flat=True)) == [1, 1, 1]
    status = bulk_print.bulk_print_status(job_id, user=user)
    assert (status["finished"], status["printed"], status["failed"]) == (True, 3, 0)
    pdf, _ = bulk_print.bulk_print_pdf(job_id, user=user)
    numbers = {i.order_id: i.number for i in Invoice.objects.all()}
    assert invoice_numbers(pdf.read()) == [numbers[o.pk] for o in orders]


def test_a_jobs_pdf_is_a_file_removed_after_a_day(processor_client, legal_company, run_jobs, settings):
    import os
    import time
    from pathlib import Path

    order = make_order(legal_company, LINES)
    job_url = run_jobs(processor_client, {"action": "bulk_print_invoices", "ids": [order.pk]})["Location"]
    download_url = processor_client.get(job_url, {"format": "json"}).json()["download_url"]
    files = list(Path(settings.MEDIA_ROOT, "bulk-print").glob("*/invoices*.pdf"))
    assert len(files) == 1

    a_day_ago = time.time() - 24 * 60 * 60 - 60
    os.utime(files[0], (a_day_ago, a_day_ago))
    run_jobs(processor_client, {"action": "bulk_print_invoices", "ids": [order.pk]})  # a new job cleans up

    assert not files[0].exists()
    assert processor_client.get(download_url).status_code == 404


def test_with_show_prices_off_the_job_prints_packing_slips_and_issues_no_number(
    processor_client, legal_company, run_jobs
):
    from invoices.models import InvoiceSettings

    InvoiceSettings.objects.create(company=legal_company, show_prices=False)
    orders = [make_order(legal_company, LINES) for _ in range(2)]

    job_url = run_jobs(processor_client, {"action": "bulk_print_invoices", "ids": [o.pk for o in orders]})["Location"]

    status = processor_client.get(job_url, {"format": "json"}).json()
    assert (status["finished"], status["printed"], status["failed"]) == (True, 2, 0)
    text = pdf_text(download(processor_client, status["download_url"]))
    assert text.count("PACKING SLIP") == 2 and "Lampe Élise" in text  # the Standard layout
    assert not Invoice.objects.exists()
