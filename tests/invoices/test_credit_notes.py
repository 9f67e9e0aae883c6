"""Credit notes (issue 19): their own gap-free yearly series, the pro-rata VAT split, never more
than the invoice, the cancel after invoicing, the channel's refunds, the hooks (idempotent, never
breaking the refund), the printed PDF, and concurrent issues on PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connections
from django.urls import reverse

from invoices.credit_notes import (
    CreditNoteRefused,
    credit_note_for_refund,
    credit_note_issue,
    credit_note_print_for_refund,
    credit_notes_issue_missing,
)
from invoices.models import Invoice, InvoiceSequence
from invoices.services import invoice_issue
from invoices.vat import pro_rata
from orders.models import Refund
from orders.payments import channel_refund_record
from orders.services import company_today, order_cancel_internally, refund_issue
from tests.invoices.conftest import make_order, pdf_text

LINES = [("LAMP", "Lampe", 1, "49.90", "4.99")]
# A book at 5.5 % and a lamp at 20 %: 30.00 + 70.00 = 100.00 TTC.
MIXED = [("BOOK", "Livre", 1, "30.00", "0.00"), ("LAMP", "Lampe", 1, "70.00", "0.00")]


def refund(order, amount, *, by, notes="Geste commercial"):
    return refund_issue(
        order=order,
        by=by,
        payment=order.payments.get(),
        amount=Decimal(amount),
        refund_date=company_today(order),
        notes=notes,
        form_token=uuid.uuid4(),
    )


def credited(order) -> Decimal:
    notes = Invoice.objects.filter(order=order, kind=Invoice.Kind.CREDIT_NOTE)
    return sum((note.amount for note in notes), Decimal("0.00"))


@pytest.fixture
def book_rate(legal_company):
    from invoices.models import SkuVatRate

    return SkuVatRate.objects.create(company=legal_company, sku="BOOK", rate=Decimal("5.5"))


def test_numbers_are_gap_free_per_year_and_apart_from_invoices(pinned_clock, legal_company, client_admin, monkeypatch):
    # given two invoiced orders in 2027 (Paris time)
    orders = [make_order(legal_company, LINES) for _ in range(2)]
    for order in orders:
        invoice_issue(order=order, by=client_admin)

    # when each gets a refund, then one more a year later
    numbers = [credit_note_issue(order=o, refund=refund(o, "5.00", by=client_admin)).number for o in orders]
    monkeypatch.setattr("django.utils.timezone.now", lambda: datetime(2028, 1, 2, 9, tzinfo=ZoneInfo("UTC")))
    later = credit_note_issue(order=orders[0], refund=refund(orders[0], "1.00", by=client_admin))

    # then the credit notes have their own series, restarting each year
    assert numbers == ["AV2027-000001", "AV2027-000002"]
    assert later.number == "AV2028-000001"
    assert InvoiceSequence.objects.get(company=legal_company, series="AV", year=2027).next_number == 3
    assert InvoiceSequence.objects.get(company=legal_company, series="F", year=2027).next_number == 3
    assert later.corrects.number == "F2027-000001"


def test_pro_rata_split_across_two_rates_adds_up_to_the_cent(pinned_clock, legal_company, client_admin, book_rate):
    order = make_order(legal_company, MIXED)
    invoice = invoice_issue(order=order, by=client_admin)
    assert [row["rate"] for row in invoice.snapshot["vat_breakdown"]] == ["5.5", "20"]

    note = credit_note_issue(order=order, refund=refund(order, "33.33", by=client_admin))

    rows = {row["rate"]: row for row in note.snapshot["vat_breakdown"]}
    # 33.33 * 30% = 9.999 -> 10.00 and 33.33 * 70% = 23.331 -> 23.33: 33.33 exactly
    assert rows["5.5"]["ttc"] == "10.00" and rows["20"]["ttc"] == "23.33"
    assert rows["5.5"]["ht"] == "9.48" and rows["5.5"]["vat"] == "0.52"  # 10.00 / 1.055 = 9.478...
    assert rows["20"]["ht"] == "19.44" and rows["20"]["vat"] == "3.89"  # 23.33 / 1.2 = 19.441...
    assert note.snapshot["totals"]["ttc"] == "33.33" and note.amount == Decimal("33.33")
    total = sum(Decimal(r["ht"]) + Decimal(r["vat"]) for r in rows.values())
    assert total == Decimal("33.33")


def test_the_rounding_remainder_goes_to_the_largest_part():
    weights = {Decimal("0"): Decimal("1"), Decimal("5.5"): Decimal("1"), Decimal("20"): Decimal("2")}

    parts = pro_rata(Decimal("0.10"), weights)

    # 0.025 -> 0.03, 0.025 -> 0.03, 0.05 -> 0.05 make 0.11: the largest part gives the cent back
    assert parts == {Decimal("0"): Decimal("0.03"), Decimal("5.5"): Decimal("0.03"), Decimal("20"): Decimal("0.04")}
    assert sum(parts.values()) == Decimal("0.10")


def test_a_partial_refund_then_the_rest_then_a_third_is_refused(
    pinned_clock, legal_company, client_admin, book_rate, django_capture_on_commit_callbacks
):
    # given an invoice of 100.00 at two rates
    order = make_order(legal_company, MIXED)
    invoice = invoice_issue(order=order, by=client_admin)

    # when 33.33 is refunded, then the other 66.67 (the hook issues each credit note)
    with django_capture_on_commit_callbacks(execute=True):
        first_refund = refund(order, "33.33", by=client_admin)
    with django_capture_on_commit_callbacks(execute=True):
        second_refund = refund(order, "66.67", by=client_admin)

    # then two credit notes credit exactly the invoice, rate by rate
    first, second = Invoice.objects.filter(order=order, kind="credit_note").order_by("sequence_number")
    assert (first.refund, second.refund) == (first_refund, second_refund)
    assert credited(order) == Decimal("100.00")
    for rate in ("5.5", "20"):
        per_rate = sum(
            Decimal(row["ttc"])
            for note in (first, second)
            for row in note.snapshot["vat_breakdown"]
            if row["rate"] == rate
        )
        assert per_rate == Decimal(next(r["ttc"] for r in invoice.snapshot["vat_breakdown"] if r["rate"] == rate))

    # and a third refund (recorded without a check, as a channel might) is refused, nothing written
    third = Refund.objects.create(
        order=order,
        payment=order.payments.get(),
        amount=Decimal("0.01"),
        currency="EUR",
        refund_date=company_today(order),
        notes="Again",
        form_token=uuid.uuid4(),
    )
    rows_before = (Invoice.objects.count(), list(InvoiceSequence.objects.values_list("series", "next_number")))
    with pytest.raises(
        CreditNoteRefused,
        match=r"more than invoice F2027-000001 \(100.00 EUR\).*AV2027-000001, "
        r"AV2027-000002 already credit 100.00 EUR, so at most 0.00 EUR is left",
    ):
        credit_note_issue(order=order, refund=third)
    assert (Invoice.objects.count(), list(InvoiceSequence.objects.values_list("series", "next_number"))) == rows_before
    # the hook logs the refusal and leaves the refund alone
    credit_note_for_refund(order_id=order.pk, refund_id=third.pk)
    assert Refund.objects.filter(pk=third.pk).exists() and Invoice.objects.count() == rows_before[0]


def test_cancel_after_invoice_credits_what_is_left(
    pinned_clock, legal_company, client_admin, django_capture_on_commit_callbacks
):
    order = make_order(legal_company, LINES)  # 54.89
    invoice_issue(order=order, by=client_admin)
    with django_capture_on_commit_callbacks(execute=True):
        refund(order, "10.00", by=client_admin)

    with django_capture_on_commit_callbacks(execute=True):
        order_cancel_internally(order=order, by=client_admin, reason="Out of stock")

    cancel_note = Invoice.objects.get(order=order, kind="credit_note", refund__isnull=True)
    assert cancel_note.amount == Decimal("44.89") and cancel_note.snapshot["totals"]["ttc"] == "44.89"
    assert cancel_note.snapshot["reason"]["kind"] == "cancel"
    assert credited(order) == Decimal("54.89")
    assert Invoice.objects.filter(order=order, kind="invoice").count() == 1  # never a second invoice number


def test_a_refund_after_a_cancel_that_credited_everything_points_to_the_cancels_credit_note(
    pinned_clock, legal_company, client_admin, client, django_capture_on_commit_callbacks
):
    order = make_order(legal_company, LINES)
    invoice_issue(order=order, by=client_admin)
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel_internally(order=order, by=client_admin, reason="Out of stock")
    cancel_note = Invoice.objects.get(order=order, kind="credit_note")
    with django_capture_on_commit_callbacks(execute=True):
        late = refund(order, "54.89", by=client_admin)
    rows_before = Invoice.objects.count()

    client.force_login(client_admin)
    response = client.post(reverse("print_refund_credit_note", args=[late.pk]), follow=True)

    page = response.content.decode()
    assert f"credit note {cancel_note.number}, issued when the order was cancelled" in page
    assert "Invoices and Credit Notes" in page
    assert Invoice.objects.count() == rows_before  # no second credit note for the same amount


def test_a_channel_refund_of_a_cancelled_line_gets_a_credit_note(
    pinned_clock, legal_company, client_admin, django_capture_on_commit_callbacks
):
    order = make_order(legal_company, LINES)
    invoice_issue(order=order, by=client_admin)

    with django_capture_on_commit_callbacks(execute=True):
        recorded = channel_refund_record(
            order=order,
            payment=order.payments.get(),
            key="line-1",
            amount=Decimal("49.90"),
            notes="Line cancelled by Cdiscount",
            when=pinned_clock,
        )

    note = Invoice.objects.get(order=order, kind="credit_note")
    assert note.refund == recorded and note.amount == Decimal("49.90")


def test_a_refund_of_an_order_never_invoiced_takes_no_credit_note(
    pinned_clock, legal_company, client_admin, django_capture_on_commit_callbacks
):
    order = make_order(legal_company, LINES)

    with django_capture_on_commit_callbacks(execute=True):
        recorded = refund(order, "5.00", by=client_admin)

    assert not Invoice.objects.exists()
    assert not InvoiceSequence.objects.exists()
    with pytest.raises(CreditNoteRefused, match="has no invoice"):
        credit_note_print_for_refund(refund=recorded, by=client_admin)


def test_the_hook_fired_twice_issues_one_credit_note(pinned_clock, legal_company, client_admin):
    order = make_order(legal_company, LINES)
    invoice_issue(order=order, by=client_admin)
    recorded = refund(order, "5.00", by=client_admin)  # its hook never runs: no commit in this test

    credit_note_for_refund(order_id=order.pk, refund_id=recorded.pk)
    credit_note_for_refund(order_id=order.pk, refund_id=recorded.pk)
    assert credit_notes_issue_missing() == (0, [])

    assert Invoice.objects.filter(kind="credit_note").count() == 1
    assert InvoiceSequence.objects.get(series="AV").next_number == 2


def test_the_missing_credit_notes_are_issued_later(pinned_clock, legal_company, client_admin):
    order = make_order(legal_company, LINES)
    invoice_issue(order=order, by=client_admin)
    refund(order, "5.00", by=client_admin)  # no commit: the hook never ran
    order_cancel_internally(order=order, by=client_admin, reason="Customer asked")

    assert credit_notes_issue_missing() == (2, [])
    assert credited(order) == Decimal("54.89")


def test_the_pdf_shows_the_number_the_invoice_and_the_amounts(
    pinned_clock, legal_company, client_admin, book_rate, client
):
    order = make_order(legal_company, MIXED)
    invoice_issue(order=order, by=client_admin)
    recorded = refund(order, "33.33", by=client_admin)
    client.force_login(client_admin)

    # printed from the Refunds panel: issued there, since the hook never ran
    response = client.post(reverse("print_refund_credit_note", args=[recorded.pk]))

    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "FACTURE D'AVOIR" in text and "AV2027-000001" in text and "F2027-000001" in text
    for amount in ("33,33 €", "10,00 €", "23,33 €", "9,48 €", "19,44 €", "3,89 €"):
        assert amount in text
    note = Invoice.objects.get(kind="credit_note")
    assert note.printed_count == 1
    again = client.post(reverse("print_credit_note", args=[note.pk]))
    assert again["Content-Type"] == "application/pdf"
    assert Invoice.objects.get(pk=note.pk).printed_count == 2


def test_the_refunds_panel_offers_the_credit_note_of_an_invoiced_order(
    pinned_clock, legal_company, client_admin, client
):
    order = make_order(legal_company, LINES)
    recorded = refund(order, "5.00", by=client_admin)
    client.force_login(client_admin)
    url = reverse("print_refund_credit_note", args=[recorded.pk])

    assert url not in client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    invoice_issue(order=order, by=client_admin)
    assert url in client.get(reverse("orders:detail", args=[order.pk])).content.decode()


@pytest.mark.postgres
def test_concurrent_credit_notes_stay_gap_free(transactional_db, legal_company):
    orders = [make_order(legal_company, LINES) for _ in range(10)]
    refunds = []
    for order in orders:
        invoice_issue(order=order, by=None)
        refunds.append(
            Refund.objects.create(
                order=order,
                payment=order.payments.get(),
                amount=Decimal("5.00"),
                currency="EUR",
                refund_date=company_today(order),
                notes="Geste",
                form_token=uuid.uuid4(),
            )
        )
    jobs = [(o, r) for o, r in zip(orders, refunds, strict=True)] * 2  # each refund twice: one note each
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def issue(order, recorded):
        try:
            barrier.wait()
            credit_note_issue(order=order, refund=recorded)
        except BaseException as e:  # reported below, not lost in the thread
            errors.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors, errors
    notes = Invoice.objects.filter(kind="credit_note")
    year = notes.first().year
    assert sorted(notes.values_list("number", flat=True)) == [f"AV{year}-{n:06d}" for n in range(1, 11)]
    assert InvoiceSequence.objects.get(company=legal_company, series="AV", year=year).next_number == 11


def test_the_orders_invoice_list_shows_the_invoice_and_its_credit_notes(
    pinned_clock, legal_company, client_admin, client
):
    order = make_order(legal_company, LINES)
    client.force_login(client_admin)
    detail = client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert "No invoice has been issued for this order yet" in detail

    invoice_issue(order=order, by=client_admin)
    note = credit_note_issue(order=order, refund=refund(order, "5.00", by=client_admin))
    detail = client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    page = client.get(reverse("order_invoices", args=[order.pk])).content.decode()

    assert reverse("order_invoices", args=[order.pk]) in detail
    assert "F2027-000001" in page and "AV2027-000001" in page and "5.00 EUR" in page
    assert reverse("print_credit_note", args=[note.pk]) in page


def test_the_command_issues_what_is_missing(pinned_clock, legal_company, client_admin):
    from io import StringIO

    from django.core.management import call_command

    order = make_order(legal_company, LINES)
    invoice_issue(order=order, by=client_admin)
    refund(order, "5.00", by=client_admin)  # no commit: the hook never ran
    out = StringIO()

    call_command("issue_credit_notes", stdout=out)
    call_command("issue_credit_notes", stdout=out)

    assert out.getvalue().splitlines() == ["1 credit note(s) issued, 0 refused.", "0 credit note(s) issued, 0 refused."]
