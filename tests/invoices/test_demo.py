"""`seed_demo` gives the demo company complete legal details, a logo and Cdiscount printed as a
Facture, so that Print Invoice works at once on `make run`."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from invoices.legal import missing_legal_mentions
from invoices.models import InvoicePreference, InvoiceType
from invoices.services import invoice_print
from sellercloud.models import Company, User, validate_siren_or_siret
from tests.invoices.conftest import make_order, pdf_text


def test_the_demo_company_can_print_invoices_at_once(db, media_root):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    company = Company.objects.get(code="maison")

    assert missing_legal_mentions(company) == []
    validate_siren_or_siret(company.siret)
    assert (media_root / company.logo.name).is_file()
    assert InvoicePreference.objects.get(company=company, channel="cdiscount").invoice_type == (
        InvoiceType.CHANNEL_SPECIFIC
    )
    assert "Created legal details for invoices." in out.getvalue()

    order = make_order(company, [("LAMP", "Lampe Élise", 1, "49.90", "4.99")])
    text = pdf_text(invoice_print(order=order, by=User.objects.get(username="admin")).pdf)
    assert "FACTURE" in text and "Maison Lumière SAS" in text and "RCS Paris 732829320" in text


def test_seeding_again_keeps_what_a_user_changed(db):
    call_command("seed_demo", stdout=StringIO())
    Company.objects.filter(code="maison").update(rcs_city="Lyon", company_type="SARL")

    out = StringIO()
    call_command("seed_demo", stdout=out)

    company = Company.objects.get(code="maison")
    assert (company.rcs_city, company.company_type) == ("Lyon", "SARL")
    assert "Created" not in out.getvalue()
