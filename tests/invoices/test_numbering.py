"""The gap-free yearly series: numbers in order, the company's year, one invoice per order,
concurrent issues on PostgreSQL, a failed render that leaves no gap, and no deletion."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.db.models import ProtectedError

from invoices.models import Invoice, InvoiceDeletionRefused, InvoiceSequence
from invoices.renderers.standard import StandardRenderer
from invoices.services import InvoiceRenderFailed, invoice_issue, invoice_print
from orders.choices import EventKind
from tests.invoices.conftest import make_order

LINES = [("LAMP", "Lampe", 1, "49.90", "4.99")]


def test_numbers_follow_each_other_in_the_companys_year(pinned_clock, legal_company, client_admin):
    # 31 December 23:30 UTC is 1 January 2027 in Paris
    orders = [make_order(legal_company, LINES) for _ in range(3)]

    numbers = [invoice_issue(order=order, by=client_admin).number for order in orders]

    assert numbers == ["F2027-000001", "F2027-000002", "F2027-000003"]
    assert InvoiceSequence.objects.get(company=legal_company, year=2027).next_number == 4


def test_each_company_has_its_own_series(pinned_clock, legal_company, client_admin):
    from tests.factories import CompanyFactory
    from tests.invoices.conftest import LEGAL

    other = CompanyFactory(**{**LEGAL, "name": "Atelier Éclat SAS", "legal_name": "Atelier Éclat SAS"})

    first = invoice_issue(order=make_order(legal_company, LINES), by=client_admin)
    second = invoice_issue(order=make_order(other, LINES), by=client_admin)

    assert first.number == second.number == "F2027-000001"


def test_printing_again_reuses_the_number_and_counts_the_print(pinned_clock, legal_company, client_admin):
    order = make_order(legal_company, LINES)

    first = invoice_print(order=order, by=client_admin)
    again = invoice_print(order=order, by=client_admin)

    assert first.invoice.number == again.invoice.number == "F2027-000001"
    assert again.invoice.printed_count == 2
    assert Invoice.objects.count() == 1
    messages = list(order.events.filter(kind=EventKind.INVOICE).values_list("message", flat=True))
    assert "Invoice F2027-000001 printed." in messages and len(messages) == 3  # issued, printed twice


def test_a_failed_render_leaves_an_issued_invoice_and_no_gap(pinned_clock, legal_company, client_admin, monkeypatch):
    first, second = make_order(legal_company, LINES), make_order(legal_company, LINES)

    def broken(self, job):
        raise RuntimeError("renderer crashed")

    # given the renderer fails at the first print
    monkeypatch.setattr(StandardRenderer, "render", broken)
    with pytest.raises(InvoiceRenderFailed, match="F2027-000001 is issued"):
        invoice_print(order=first, by=client_admin)
    monkeypatch.undo()
    monkeypatch.setattr("django.utils.timezone.now", lambda: pinned_clock)

    # then the invoice stays issued, printed 0 times, and prints again with its number
    assert Invoice.objects.get(order=first).printed_count == 0
    assert invoice_print(order=first, by=client_admin).invoice.number == "F2027-000001"
    # and the next order takes the next number: no gap
    assert invoice_print(order=second, by=client_admin).invoice.number == "F2027-000002"


def test_invoices_cannot_be_deleted(legal_company, client_admin):
    order = make_order(legal_company, LINES)
    invoice = invoice_issue(order=order, by=client_admin)

    with pytest.raises(InvoiceDeletionRefused):
        invoice.delete()
    with pytest.raises(InvoiceDeletionRefused):
        Invoice.objects.all().delete()
    with pytest.raises(ProtectedError):
        order.delete()
    assert Invoice.objects.filter(pk=invoice.pk).exists()


@pytest.mark.postgres
def test_twenty_concurrent_issues_are_unique_and_gap_free(transactional_db, legal_company):
    orders = [make_order(legal_company, LINES) for _ in range(20)]
    barrier = threading.Barrier(20)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def issue(order):
        try:
            barrier.wait()
            numbers.append(invoice_issue(order=order, by=None).number)
        except BaseException as e:  # reported below, not lost in the thread
            errors.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue, args=(order,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors, errors
    year = Invoice.objects.first().year
    assert sorted(numbers) == [f"F{year}-{n:06d}" for n in range(1, 21)]
    assert sorted(Invoice.objects.values_list("sequence_number", flat=True)) == list(range(1, 21))
    assert InvoiceSequence.objects.get(company=legal_company, year=year).next_number == 21
    assert connection.vendor == "postgresql"


@pytest.mark.postgres
def test_concurrent_prints_of_one_order_issue_one_invoice(transactional_db, legal_company):
    order = make_order(legal_company, LINES)
    barrier = threading.Barrier(5)
    numbers: list[str] = []

    def print_it():
        try:
            barrier.wait()
            numbers.append(invoice_print(order=order, by=None).invoice.number)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=print_it) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    invoice = Invoice.objects.get(order=order)
    assert numbers == [invoice.number] * 5
    assert invoice.printed_count == 5 and invoice.sequence_number == 1
