"""Add Company (issue 24, point 13): a Client Admin adds a company from the Companies page; a bad
or taken code is refused with its reason and nothing is created; nobody else can add one."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from sellercloud.models import Company
from tests.factories import CompanyFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ADD = reverse("company_add")
NEW = {
    "name": "Atelier Émile",
    "code": "atelier",
    "time_zone": "Europe/Paris",
    "currency": "EUR",
    "default_vat_rate": "20",
}


def test_a_client_admin_adds_a_company_and_lands_on_its_settings(client, client_admin):
    client.force_login(client_admin)
    assert 'href="/companies/add/"' in client.get(reverse("company_list")).content.decode()

    response = client.post(ADD, NEW)

    company = Company.objects.get(code="atelier")
    assert response.status_code == 302 and response.url == reverse("company_settings", args=[company.pk])
    assert (company.name, company.time_zone, company.currency) == ("Atelier Émile", "Europe/Paris", "EUR")
    assert "Fill in its legal details" in [str(m) for m in get_messages(response.wsgi_request)][0]
    assert "Atelier Émile" in client.get(reverse("company_list")).content.decode()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"code": "maison"}, "Company with this Code already exists."),
        ({"code": "pas un code!"}, "letters, numbers, underscores or hyphens"),
        ({"time_zone": "Europe/Nowhere"}, "time zone"),
        ({"name": ""}, "This field is required."),
    ],
)
def test_a_bad_company_is_refused_with_its_reason_and_nothing_is_created(client, client_admin, changes, message):
    CompanyFactory(code="maison")
    client.force_login(client_admin)
    before = list(Company.objects.values_list("pk", flat=True))

    response = client.post(ADD, {**NEW, **changes})

    assert response.status_code == 200 and message in response.content.decode()
    assert list(Company.objects.values_list("pk", flat=True)) == before


def test_an_employee_cannot_add_a_company(client):
    employee = UserFactory()
    MembershipFactory(user=employee, company=CompanyFactory(), can_view_orders=True)
    client.force_login(employee)

    assert client.get(ADD).status_code == 404
    assert client.post(ADD, NEW).status_code == 404
    assert not Company.objects.filter(code="atelier").exists()
    assert 'href="/companies/add/"' not in client.get(reverse("company_list")).content.decode()
