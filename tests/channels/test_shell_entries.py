"""What channels adds to the core: the demo's sandbox Cdiscount account and the Cdiscount name
on Manage Companies (its navigation and Toolbox entries: tests/sellercloud/test_shell.py)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from channels.models import Environment
from sellercloud.models import Company
from tests.factories import CdiscountAccountFactory, CompanyFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_demo_seed_adds_the_sandbox_cdiscount_account(monkeypatch):
    monkeypatch.delenv("DEMO_ADMIN_PASSWORD", raising=False)
    out = StringIO()

    call_command("seed_demo", stdout=out)

    assert "Created Cdiscount account (Local sandbox)." in out.getvalue().splitlines()
    account = Company.objects.get(code="maison").cdiscount_account
    assert account.environment == Environment.SANDBOX
    assert (account.client_id, account.client_secret, account.seller_id) == ("demo-client", "demo-secret", "98979")
    assert account.download_enabled and account.allow_unpaid_orders and account.upload_enabled
    assert account.next_download_at is not None


def test_demo_seed_keeps_an_existing_cdiscount_account(monkeypatch):
    monkeypatch.delenv("DEMO_ADMIN_PASSWORD", raising=False)
    account = CdiscountAccountFactory(company=CompanyFactory(code="maison"), seller_id="12345")
    out = StringIO()

    call_command("seed_demo", stdout=out)

    assert "Cdiscount account" not in out.getvalue()
    account.refresh_from_db()
    assert account.seller_id == "12345" and account.environment == Environment.PRODUCTION


def test_manage_companies_names_cdiscount_for_the_companies_that_have_it(client):
    CdiscountAccountFactory(company=CompanyFactory(name="Alpha Maison SAS"), enabled=False)  # integrated, if paused
    CompanyFactory(name="Beta Lumière SARL")
    client.force_login(UserFactory(is_client_admin=True))

    response = client.get(reverse("company_list"))

    assert [(company.name, channels) for company, channels in response.context["rows"]] == [
        ("Alpha Maison SAS", ["Cdiscount"]),
        ("Beta Lumière SARL", []),
    ]
    html = response.content.decode()
    assert "<td>Cdiscount</td>" in html and '<td><span class="muted">none</span></td>' in html
