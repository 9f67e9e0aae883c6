"""Company legal details on Company Settings > Edit (Client Admin): SIREN/SIRET checked with its
Luhn checksum, the legal form and its mentions, the logo stored in our media."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from invoices.demo import demo_logo_png
from invoices.legal import missing_legal_mentions
from sellercloud.models import Company, validate_siren_or_siret
from tests.factories import CompanyFactory


def edit_data(company: Company, **overrides) -> dict:
    data = {
        "name": company.name,
        "legal_name": "Atelier Éclat SARL",
        "address_line1": "3 place Bellecour",
        "postal_code": "69002",
        "city": "Lyon",
        "country_code": "FR",
        "vat_number": "FR44732829320",
        "siret": "73282932000017",
        "legal_form": "company",
        "company_type": "SARL",
        "share_capital": "7500",
        "rcs_city": "Lyon",
        "invoice_footer": "Merci de votre confiance.",
        "time_zone": "Europe/Paris",
        "currency": "EUR",
        "default_vat_rate": "20",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("value", ["732829320", "73282932000017", "35600000000048", "35600000012346"])
def test_valid_siren_and_siret_pass(value):
    validate_siren_or_siret(value)


@pytest.mark.parametrize("value", ["732829321", "73282932000018", "7328293200001", "ABCDEFGHI", "732 829 320"])
def test_a_wrong_siren_or_siret_is_refused(value):
    with pytest.raises(ValidationError):
        validate_siren_or_siret(value)


def test_a_client_admin_fills_in_the_legal_details_and_the_logo(client, client_admin):
    company = CompanyFactory()
    client.force_login(client_admin)
    logo = SimpleUploadedFile("logo.png", demo_logo_png(), content_type="image/png")

    response = client.post(
        reverse("company_edit", args=[company.pk]), {**edit_data(company), "logo": logo}, follow=True
    )

    assert "Company details saved." in response.content.decode()
    company.refresh_from_db()
    assert missing_legal_mentions(company) == []
    assert company.logo.name.startswith("logos/") and str(company.share_capital) == "7500.00"


def test_a_siret_with_a_wrong_checksum_is_refused_and_nothing_changes(client, client_admin):
    company = CompanyFactory()
    client.force_login(client_admin)

    response = client.post(reverse("company_edit", args=[company.pk]), edit_data(company, siret="73282932000018"))

    assert "checksum (Luhn) does not match" in response.content.decode()
    company.refresh_from_db()
    assert company.siret == "" and company.legal_form == ""


def test_an_oversized_logo_is_refused_and_nothing_changes(client, client_admin):
    company = CompanyFactory()
    client.force_login(client_admin)
    big = SimpleUploadedFile("logo.png", demo_logo_png() + b"\0" * (1024 * 1024), content_type="image/png")

    response = client.post(reverse("company_edit", args=[company.pk]), {**edit_data(company), "logo": big})

    assert "The logo must be at most 1 MB" in response.content.decode()
    company.refresh_from_db()
    assert not company.logo and company.legal_form == ""
