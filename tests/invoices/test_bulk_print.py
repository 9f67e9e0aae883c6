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

    pdf = processor_client.get(status["download_url"])
    assert pdf["Content-Type"] == "application/pdf"
    numbers = {i.order_id: i.number for i in Invoice.objects.filter(order__in=paid)}
    in_grid_order = [numbers[o.pk] for o in reversed(paid)]  # sort=-id: the newest first
    assert invoice_numbers(pdf.content) == in_grid_order
    assert not Invoice.objects.filter(order=unpaid).exists()

    # A re-run prints the same numbers: each order keeps its invoice.
    again = run_jobs(processor_client, {"action": "bulk_print_invoices", "ids": ids, "query": "sort=-id"})
    url = processor_client.get(again["Location"], {"format": "json"}).json()["download_url"]
    assert invoice_numbers(processor_client.get(url).content) == in_grid_order
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
    pdf = processor_client.get(status["download_url"]).content
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
    from invoices import bulk_print, services

    broken, fine = make_order(legal_company, LINES), make_order(legal_company, LINES)

    def flaky(*, order, by):
        if order.pk == broken.pk:
            raise RuntimeError("disk full")
        return services.invoice_print(order=order, by=by)

    monkeypatch.setattr(bulk_print, "invoice_print", flaky)
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
