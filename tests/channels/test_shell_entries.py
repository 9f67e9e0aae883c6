"""What channels adds to the core: the Cdiscount name on Manage Companies (its navigation and
Toolbox entries: tests/sellercloud/test_shell.py)."""

import pytest
from django.urls import reverse

from tests.factories import CdiscountAccountFactory, CompanyFactory, UserFactory

pytestmark = pytest.mark.django_db


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
