"""`manage.py seed_demo`: the demo a fresh `make run` logs into, safe to run again."""

from io import StringIO

import pytest
from django.core import serializers
from django.core.management import call_command
from django.core.management.base import CommandError

from channels.models import CdiscountAccount
from sellercloud import services
from sellercloud.models import Company, Membership, User
from sellercloud.services import DEMO_ADMIN_DEFAULT_PASSWORD
from tests.factories import CdiscountAccountFactory, CompanyFactory, UserFactory

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def snapshot() -> str:
    """Every row the seed touches, serialised: equal snapshots mean nothing changed."""
    rows = [*Company.objects.all(), *User.objects.all(), *Membership.objects.all(), *CdiscountAccount.objects.all()]
    return serializers.serialize("json", rows)


def test_seed_creates_the_demo_company_and_admin(monkeypatch):
    monkeypatch.delenv("DEMO_ADMIN_PASSWORD", raising=False)

    output = seed()

    company = Company.objects.get(code="maison")
    assert company.name == "Maison Lumière SAS"
    assert company.time_zone == "Europe/Paris" and company.currency == "EUR"
    assert str(company.default_vat_rate) == "20.00"
    assert len(company.siret) == 14 and company.vat_number.startswith("FR")
    admin = User.objects.get(username="admin")
    assert admin.is_client_admin and admin.is_active
    assert admin.check_password(DEMO_ADMIN_DEFAULT_PASSWORD)
    assert output.splitlines()[:2] == ["Created company Maison Lumière SAS.", "Created Client Admin admin."]
    assert f"Demo login: admin / {DEMO_ADMIN_DEFAULT_PASSWORD}" in output


def test_seed_runs_each_registered_contribution_with_the_demo_company(monkeypatch):
    # given an app's contribution that makes its demo rows once
    monkeypatch.delenv("DEMO_ADMIN_PASSWORD", raising=False)
    monkeypatch.setattr(services, "_demo_seed_contributions", [])
    seen = []

    def demo_widgets(*, company: Company) -> list[str]:
        seen.append(company.code)
        return ["3 demo widgets"] if len(seen) == 1 else []

    services.register_demo_seed(demo_widgets)
    services.register_demo_seed(demo_widgets)  # a second ready(): still run once per seed

    # when
    first, second = seed(), seed()

    # then
    assert seen == ["maison", "maison"]
    assert first.splitlines()[:3] == [
        "Created company Maison Lumière SAS.",
        "Created Client Admin admin.",
        "Created 3 demo widgets.",
    ]
    assert "Created" not in second


def test_a_failing_contribution_leaves_no_half_seeded_demo(monkeypatch):
    monkeypatch.setattr(services, "_demo_seed_contributions", [])

    def broken(*, company: Company) -> list[str]:
        raise RuntimeError("sandbox unreachable")

    services.register_demo_seed(broken)

    with pytest.raises(RuntimeError):
        seed()

    assert not Company.objects.exists() and not User.objects.exists()


def test_seed_twice_changes_nothing_and_prints_the_same_login(monkeypatch):
    monkeypatch.delenv("DEMO_ADMIN_PASSWORD", raising=False)
    first_output = seed()
    before = snapshot()

    second_output = seed()

    assert snapshot() == before
    assert first_output.splitlines()[-1] == second_output.splitlines()[-1]
    assert "Created" not in second_output
    assert (Company.objects.count(), User.objects.count(), CdiscountAccount.objects.count()) == (1, 1, 1)


def test_seed_uses_demo_admin_password_from_the_environment(monkeypatch):
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "verre-souffle-99")

    output = seed()

    assert User.objects.get(username="admin").check_password("verre-souffle-99")
    assert "Demo login: admin / verre-souffle-99" in output


def test_seed_keeps_a_password_changed_by_the_user(monkeypatch):
    monkeypatch.delenv("DEMO_ADMIN_PASSWORD", raising=False)
    seed()
    admin = User.objects.get(username="admin")
    admin.set_password("mon-propre-secret-1")
    admin.save()

    output = seed()

    assert User.objects.get(username="admin").check_password("mon-propre-secret-1")
    assert "changepassword admin" in output


def test_demo_login_reaches_company_settings(client, monkeypatch):
    monkeypatch.delenv("DEMO_ADMIN_PASSWORD", raising=False)
    seed()
    company = Company.objects.get(code="maison")

    client.post("/login/", {"username": "admin", "password": DEMO_ADMIN_DEFAULT_PASSWORD})
    response = client.get(f"/companies/{company.pk}/")

    assert response.status_code == 200
    assert "Maison Lumière SAS" in response.content.decode()


def test_seed_refuses_a_database_with_other_companies_and_creates_nothing(monkeypatch):
    # given a real installation: its companies, its users, a Cdiscount account
    monkeypatch.delenv("DEMO_ADMIN_PASSWORD", raising=False)
    CdiscountAccountFactory(company=CompanyFactory(name="Verrerie Dubois SARL"))
    UserFactory(username="jdubois", is_client_admin=True)
    before = snapshot()

    # when the demo seed runs on it
    with pytest.raises(CommandError) as refused:
        seed()

    # then it says why, and nothing was created
    message = str(refused.value)
    assert "already holds companies other than the demo's (Verrerie Dubois SARL)" in message
    assert "Nothing was created" in message and "empty database" in message
    assert snapshot() == before
    assert not User.objects.filter(username="admin").exists()


def test_seed_refuses_even_where_a_user_named_admin_exists():
    # a real installation with its own "admin": the demo company and account would be added to it
    CompanyFactory(name="Verrerie Dubois SARL")
    UserFactory(username="admin", is_client_admin=True)
    before = snapshot()

    with pytest.raises(CommandError, match="other than the demo's"):
        seed()

    assert snapshot() == before


def test_seed_runs_again_on_a_demo_database_that_got_more_companies(monkeypatch):
    # given the demo, to which someone added a company
    monkeypatch.delenv("DEMO_ADMIN_PASSWORD", raising=False)
    seed()
    CompanyFactory(name="Deuxième Boutique SAS")
    before = snapshot()

    # when `make run` seeds again
    output = seed()

    # then it changes nothing and prints the login, as on any re-run
    assert snapshot() == before
    assert f"Demo login: admin / {DEMO_ADMIN_DEFAULT_PASSWORD}" in output
