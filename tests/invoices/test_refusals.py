"""An invoice is refused, and no number used, while a legal mention is missing, for an order
without a payment, and for an order cancelled before it was invoiced; nothing changes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from invoices.legal import missing_legal_mentions
from invoices.models import Invoice, InvoiceSequence
from invoices.services import InvoiceRefused, invoice_issue, invoice_print
from orders.choices import OrderStatus
from orders.models import Order, OrderEvent
from sellercloud.models import LegalForm
from tests.factories import CompanyFactory
from tests.invoices.conftest import LEGAL, make_order

LINES = [("LAMP", "Lampe", 1, "49.90", "4.99")]
NO_EI = '"EI" beside the legal name (sole trader)'


def database_state(order: Order) -> tuple:
    order.refresh_from_db()
    return (
        Invoice.objects.count(),
        list(InvoiceSequence.objects.values_list("company_id", "year", "next_number")),
        OrderEvent.objects.filter(order=order).count(),
        order.updated_at,
        order.status,
    )


def test_missing_legal_details_refuse_the_invoice_naming_them_and_change_nothing(client_admin):
    company = CompanyFactory(name="Atelier Sans Papiers", legal_name="", siret="", vat_number="")
    order = make_order(company, LINES)
    before = database_state(order)

    with pytest.raises(InvoiceRefused) as refused:
        invoice_print(order=order, by=client_admin)

    message = str(refused.value)
    for field in ("Legal name", "Address", "SIREN/SIRET", "VAT number", "Legal form"):
        assert field in message
    assert database_state(order) == before


@pytest.mark.parametrize(
    ("changes", "missing"),
    [
        ({"share_capital": None, "rcs_city": ""}, ["Share capital", "RCS city"]),
        ({"company_type": ""}, ["Company type (e.g. SAS)"]),
        ({"siret": "73282932000018"}, ["SIREN/SIRET"]),
        ({"vat_number": ""}, ["VAT number (or the VAT franchise)"]),
        ({"vat_number": "", "vat_franchise": True}, []),
        (
            {"legal_form": LegalForm.SOLE_TRADER, "legal_name": "Hélène Lefèvre"},
            ['"EI" beside the legal name (sole trader)'],
        ),
        ({"legal_form": LegalForm.SOLE_TRADER, "legal_name": "Hélène Lefèvre EI", "share_capital": None}, []),
    ],
)
def test_which_legal_mentions_are_required(changes, missing, db):
    company = CompanyFactory(**{**LEGAL, **changes})

    assert missing_legal_mentions(company) == missing


def test_an_unpaid_order_is_refused(legal_company, client_admin):
    order = make_order(legal_company, LINES, pay=False)
    before = database_state(order)

    with pytest.raises(InvoiceRefused, match="No payment"):
        invoice_issue(order=order, by=client_admin)

    assert database_state(order) == before


def test_an_order_cancelled_before_it_was_invoiced_is_refused(legal_company, client_admin):
    order = make_order(legal_company, LINES, status=OrderStatus.CANCELED)

    with pytest.raises(InvoiceRefused, match="Canceled before it was invoiced"):
        invoice_issue(order=order, by=client_admin)

    assert not Invoice.objects.exists() and not InvoiceSequence.objects.exists()


def test_an_order_cancelled_after_it_was_invoiced_prints_its_invoice_again(legal_company, client_admin):
    order = make_order(legal_company, LINES)
    number = invoice_issue(order=order, by=client_admin).number
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.CANCELED)
    order.refresh_from_db()

    assert invoice_print(order=order, by=client_admin).invoice.number == number


def test_print_invoice_page_refusal_names_the_fields_and_links_to_company_settings(client, client_admin):
    client.force_login(client_admin)
    company = CompanyFactory(**{**LEGAL, "rcs_city": "", "share_capital": None})
    order = make_order(company, LINES)

    response = client.post(reverse("print_invoice", args=[order.pk]), follow=True)

    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("orders:detail", args=[order.pk])
    assert "Share capital, RCS city" in html
    assert f'<a href="{reverse("company_edit", args=[company.pk])}">Edit Company Settings</a>' in html
    assert not Invoice.objects.exists() and not InvoiceSequence.objects.exists()
