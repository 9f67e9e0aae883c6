"""The shell, sign-in and the core pages: what a user sees and may do (SPEC S3, S7, S12)."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from sellercloud import services
from sellercloud.models import Membership, Permission, User
from sellercloud.shell import SESSION_COMPANY_KEY
from tests.factories import CdiscountAccountFactory, CompanyFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"  # tests.factories.UserFactory's password


@pytest.fixture
def admin_client(client_admin):
    # Its own Client: tests log another user in with `client` beside it.
    admin = Client()
    admin.force_login(client_admin)
    return admin


@pytest.fixture
def two_companies():
    return CompanyFactory(name="Alpha Maison SAS"), CompanyFactory(name="Beta Lumière SARL")


@pytest.fixture
def employee_of_a(two_companies):
    a, _ = two_companies
    employee = UserFactory(username="jdupre")
    MembershipFactory(user=employee, company=a)
    return employee


def title_of(response) -> str:
    match = re.search(r"<title>(.*?)</title>", response.content.decode(), re.S)
    assert match, "every page has a <title>"
    return match.group(1).strip()


# --- Every page needs login ------------------------------------------------------------------

PAGES = [
    ("home", []),
    ("company_list", []),
    ("company_settings", ["company"]),
    ("company_edit", ["company"]),
    ("user_list", []),
    ("user_add", []),
    ("user_edit", ["user"]),
    ("password_change", []),
]


def url_for(name, args, company, user):
    return reverse(name, args=[{"company": company.pk, "user": user.pk}[a] for a in args])


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_anonymous_visitor_is_sent_to_login(client, company, client_admin, name, args):
    url = url_for(name, args, company, client_admin)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_every_page_has_a_title_and_the_shell(admin_client, company, client_admin, name, args):
    response = admin_client.get(url_for(name, args, company, client_admin))

    assert response.status_code == 200
    assert title_of(response).endswith("Sellercloud-style OMS")
    html = response.content.decode()
    assert 'aria-label="Main navigation"' in html
    assert "/static/css/app.css" in html
    assert 'href="http' not in html and 'src="http' not in html, "nothing from a CDN"


def test_state_changes_refuse_get(admin_client, employee_of_a, two_companies):
    for url in (
        reverse("company_switch"),
        reverse("user_deactivate", args=[employee_of_a.pk]),
        reverse("user_reactivate", args=[employee_of_a.pk]),
        reverse("logout"),
    ):
        assert admin_client.get(url).status_code == 405, url


def test_posts_without_csrf_token_are_refused(client_admin, two_companies):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(client_admin)
    a, _ = two_companies

    response = csrf_client.post(reverse("company_switch"), {"company": a.pk})

    assert response.status_code == 403


# --- Login, logout, throttling, password change and reset ------------------------------------


def test_login_then_dashboard_then_logout(client, client_admin):
    # the dashboard is the page after login (issue 23)
    response = client.post(reverse("login"), {"username": "admin", "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert title_of(response).startswith("Dashboard")
    assert response.context["user"] == client_admin

    response = client.post(reverse("logout"), follow=True)

    assert response.context["user"].is_anonymous
    assert client.get(reverse("home")).status_code == 302


def test_login_page_has_real_labels(client):
    html = client.get(reverse("login")).content.decode()

    assert '<label for="id_username">' in html
    assert '<label for="id_password">' in html


def test_wrong_passwords_are_throttled_even_for_the_right_password_afterwards(client, client_admin):
    # given as many wrong passwords as the limit allows
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "admin", "password": "wrong"})

    # when the right password comes next
    response = client.post(reverse("login"), {"username": "admin", "password": PASSWORD})

    # then it is refused with the locked-out page, and nobody is logged in
    assert response.status_code == 429
    assert "Too many failed login attempts" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_session_expires_after_inactivity_setting(client, client_admin):
    client.post(reverse("login"), {"username": "admin", "password": PASSWORD})

    response = client.get(reverse("home"))

    # Each request renews the cookie, so the session ends SESSION_COOKIE_AGE after the last one.
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == settings.SESSION_COOKIE_AGE


def test_password_change(client, client_admin):
    client.force_login(client_admin)

    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "lampe-de-chevet-42", "new_password2": "lampe-de-chevet-42"},
        follow=True,
    )

    assert "Your password was changed." in response.content.decode()
    client_admin.refresh_from_db()
    assert client_admin.check_password("lampe-de-chevet-42")


def test_password_reset_by_emailed_link(client, client_admin, eager_celery, django_capture_on_commit_callbacks):
    # The mail is sent by a task once the request's transaction commits (run here in-process).
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": client_admin.email})

    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/password-reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    response = client.post(
        form_url, {"new_password1": "bougie-parfumee-7", "new_password2": "bougie-parfumee-7"}, follow=True
    )

    assert "Your password was set." in response.content.decode()
    client_admin.refresh_from_db()
    assert client_admin.check_password("bougie-parfumee-7")


# --- Shell: navigation, company switcher, user menu ------------------------------------------


def test_employee_sees_company_settings_but_not_users_in_navigation(client, employee_of_a, two_companies):
    a, _ = two_companies
    client.force_login(employee_of_a)

    html = client.get(reverse("home")).content.decode()

    assert f'href="{reverse("company_settings", args=[a.pk])}"' in html
    assert f'href="{reverse("user_list")}"' not in html


def test_client_admin_sees_users_in_navigation(admin_client):
    assert f'href="{reverse("user_list")}"' in admin_client.get(reverse("home")).content.decode()


def test_switcher_lists_only_the_users_companies(client, employee_of_a, two_companies):
    a, b = two_companies
    client.force_login(employee_of_a)

    response = client.get(reverse("home"))

    assert list(response.context["shell_companies"]) == [a]
    assert b.name not in response.content.decode()


def test_switching_company_makes_company_settings_follow(admin_client, two_companies):
    a, b = two_companies
    settings_a = reverse("company_settings", args=[a.pk])

    response = admin_client.post(reverse("company_switch"), {"company": b.pk, "next": settings_a})

    # then a settings page of A leads to B's, and the navigation links to B from now on
    assert response["Location"] == reverse("company_settings", args=[b.pk])
    html = admin_client.get(reverse("home")).content.decode()
    assert f'<a href="{reverse("company_settings", args=[b.pk])}"' in html
    assert f'<option value="{b.pk}" selected>' in html


def test_switching_elsewhere_returns_to_the_same_page(admin_client, two_companies):
    _, b = two_companies

    response = admin_client.post(reverse("company_switch"), {"company": b.pk, "next": reverse("user_list")})

    assert response["Location"] == reverse("user_list")


def test_switching_ignores_an_outside_next(admin_client, two_companies):
    _, b = two_companies

    response = admin_client.post(reverse("company_switch"), {"company": b.pk, "next": "https://evil.example/"})

    assert response["Location"] == reverse("home")


@pytest.mark.parametrize("odd", ["arabic-indic", "99999999999999999999", "²", "0"])
def test_switching_to_something_that_is_no_company_id_is_404_and_changes_nothing(admin_client, two_companies, odd):
    _, b = two_companies
    # Arabic-Indic digits of B's id: IntegerField read them as B's id.
    value = str(b.pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")) if odd == "arabic-indic" else odd

    response = admin_client.post(reverse("company_switch"), {"company": value, "next": reverse("user_list")})

    assert response.status_code == 404
    assert SESSION_COMPANY_KEY not in admin_client.session


def test_user_menu_offers_password_change_and_logout_by_post(admin_client):
    html = admin_client.get(reverse("home")).content.decode()

    assert f'href="{reverse("password_change")}"' in html
    assert re.search(rf'<form method="post" action="{reverse("logout")}"', html)


# --- Isolation: company B is invisible to an employee of A -----------------------------------


def test_employee_of_a_gets_404_on_every_company_b_page(client, employee_of_a, two_companies):
    a, b = two_companies
    CdiscountAccountFactory(company=b)
    client.force_login(employee_of_a)

    assert client.get(reverse("company_settings", args=[b.pk])).status_code == 404
    assert client.get(reverse("company_edit", args=[b.pk])).status_code == 404
    assert client.post(reverse("company_edit", args=[b.pk]), {"name": "Hacked"}).status_code == 404
    assert client.post(reverse("company_switch"), {"company": b.pk}).status_code == 404
    b.refresh_from_db()
    assert b.name == "Beta Lumière SARL"
    # and B is never listed
    assert b.name not in client.get(reverse("company_list")).content.decode()
    assert client.get(reverse("company_settings", args=[a.pk])).status_code == 200


def test_a_stale_session_company_falls_back_to_an_allowed_one(client, employee_of_a, two_companies):
    a, b = two_companies
    client.force_login(employee_of_a)
    session = client.session
    session["current_company_id"] = b.pk  # e.g. a membership removed since
    session.save()

    response = client.get(reverse("home"))

    assert response.context["shell_company"] == a


@pytest.mark.parametrize("name", ["user_list", "user_add"])
def test_users_pages_are_404_for_employees(client, employee_of_a, name):
    client.force_login(employee_of_a)

    assert client.get(reverse(name)).status_code == 404


def test_user_actions_are_404_for_employees(client, employee_of_a, client_admin):
    client.force_login(employee_of_a)

    assert client.get(reverse("user_edit", args=[client_admin.pk])).status_code == 404
    assert client.post(reverse("user_deactivate", args=[client_admin.pk])).status_code == 404
    client_admin.refresh_from_db()
    assert client_admin.is_active


# --- Company Settings ------------------------------------------------------------------------


def test_company_settings_shows_details_and_the_toolbox(admin_client, two_companies):
    a, _ = two_companies

    response = admin_client.get(reverse("company_settings", args=[a.pk]))

    html = response.content.decode()
    assert title_of(response).startswith(f"Company Settings — {a.name}")
    assert 'aria-label="Toolbox"' in html
    for entry in ("Company Details", "Cdiscount", "General Settings", "Invoice Settings"):
        assert entry in html
    assert f'href="{reverse("company_edit", args=[a.pk])}"' in html


def test_employee_reads_company_details_without_edit(client, employee_of_a, two_companies):
    a, _ = two_companies
    client.force_login(employee_of_a)

    html = client.get(reverse("company_settings", args=[a.pk])).content.decode()

    assert a.legal_name in html
    assert "Read-only" in html
    assert reverse("company_edit", args=[a.pk]) not in html
    assert client.get(reverse("company_edit", args=[a.pk])).status_code == 403


def test_client_admin_edits_company_details(admin_client, two_companies):
    a, _ = two_companies
    data = {
        "name": "Alpha Maison SAS",
        "legal_name": "Alpha Maison Société par actions simplifiée",
        "address_line1": "3 place Bellecour",
        "address_line2": "",
        "postal_code": "69002",
        "city": "Lyon",
        "country_code": "FR",
        "vat_number": "FR44732829320",
        "siret": "73282932000017",
        "time_zone": "Europe/Paris",
        "currency": "EUR",
        "default_vat_rate": "5.50",
    }

    response = admin_client.post(reverse("company_edit", args=[a.pk]), data, follow=True)

    assert "Company details saved." in response.content.decode()
    a.refresh_from_db()
    assert a.city == "Lyon" and str(a.default_vat_rate) == "5.50"


def test_company_edit_rejects_an_unknown_time_zone(admin_client, two_companies):
    a, _ = two_companies
    data = {"name": a.name, "country_code": "FR", "time_zone": "Mars/Olympus", "currency": "EUR"}
    data["default_vat_rate"] = "20"

    response = admin_client.post(reverse("company_edit", args=[a.pk]), data)

    assert response.status_code == 200
    assert "is not a known time zone" in response.content.decode()
    a.refresh_from_db()
    assert a.time_zone == "Europe/Paris"


def test_company_list_shows_the_users_companies(client, employee_of_a, two_companies):
    a, _ = two_companies
    CdiscountAccountFactory(company=a)
    client.force_login(employee_of_a)

    html = client.get(reverse("company_list")).content.decode()

    assert a.name in html and "Cdiscount" in html


# --- Users -----------------------------------------------------------------------------------


def employee_post(companies, **grants):
    """Form data for the Add Employee page; grants: company -> permissions."""
    data = {
        "username": "mmartin",
        "first_name": "Marc",
        "last_name": "Martin",
        "email": "marc.martin@example.test",
        "password": "entrepot-lyon-2026",
    }
    for company, permissions in grants.items():
        data[f"c{companies[company].pk}_assigned"] = "on"
        for permission in permissions:
            data[f"c{companies[company].pk}_{permission.value}"] = "on"
    return data


def test_client_admin_adds_an_employee_with_per_company_permissions(admin_client, two_companies):
    a, b = two_companies
    data = employee_post({"a": a, "b": b}, a=[Permission.VIEW_ORDERS, Permission.ISSUE_REFUNDS])

    response = admin_client.post(reverse("user_add"), data, follow=True)

    assert "Employee mmartin added." in response.content.decode()
    employee = User.objects.get(username="mmartin")
    assert not employee.is_client_admin
    assert employee.check_password("entrepot-lyon-2026")
    membership = Membership.objects.get(user=employee)
    assert membership.company == a
    assert membership.can_issue_refunds and membership.can_view_orders and not membership.can_cancel_orders


def test_the_new_employee_logs_in_and_sees_only_their_company(admin_client, client, two_companies):
    a, b = two_companies
    admin_client.post(reverse("user_add"), employee_post({"a": a}, a=[Permission.VIEW_ORDERS]))

    client.post(reverse("login"), {"username": "mmartin", "password": "entrepot-lyon-2026"})

    assert client.get(reverse("company_settings", args=[a.pk])).status_code == 200
    assert client.get(reverse("company_settings", args=[b.pk])).status_code == 404


def test_add_employee_form_has_a_labelled_checkbox_per_company_and_permission(admin_client, two_companies):
    a, _ = two_companies

    html = admin_client.get(reverse("user_add")).content.decode()

    assert f'<label for="id_c{a.pk}_can_issue_refunds" class="visually-hidden">Issue refunds in {a.name}' in html
    assert '<label for="id_password">Initial password:</label>' in html


def test_add_employee_refuses_a_weak_password_and_a_taken_username(admin_client, two_companies):
    a, _ = two_companies
    data = employee_post({"a": a}) | {"username": "admin", "password": "12345678"}

    response = admin_client.post(reverse("user_add"), data)

    html = response.content.decode()
    assert response.status_code == 200
    assert "A user with that username already exists." in html
    assert "This password is too common." in html
    assert User.objects.count() == 1


def test_edit_changes_memberships(admin_client, employee_of_a, two_companies):
    a, b = two_companies
    data = {"first_name": "Jeanne", "last_name": "Dupré", "email": "jd@example.test"}
    data |= {f"c{b.pk}_assigned": "on", f"c{b.pk}_can_cancel_orders": "on"}

    response = admin_client.post(reverse("user_edit", args=[employee_of_a.pk]), data, follow=True)

    assert "User jdupre saved." in response.content.decode()
    membership = Membership.objects.get(user=employee_of_a)
    assert membership.company == b
    assert membership.can_cancel_orders and not membership.can_view_orders


def test_edit_is_all_or_nothing_when_the_memberships_are_refused(
    admin_client, employee_of_a, two_companies, monkeypatch
):
    # given the memberships' save refuses (whatever the reason)
    a, b = two_companies
    before = (employee_of_a.first_name, employee_of_a.last_name, employee_of_a.email)

    def refuse(**kwargs):
        raise services.ServiceError("The memberships could not be saved.")

    monkeypatch.setattr(services, "user_set_memberships", refuse)
    data = {"first_name": "Renamed", "last_name": "Meanwhile", "email": "renamed@example.test"}
    data |= {f"c{b.pk}_assigned": "on", f"c{b.pk}_can_cancel_orders": "on"}

    # when the Client Admin saves a new name and new companies
    response = admin_client.post(reverse("user_edit", args=[employee_of_a.pk]), data, follow=True)

    # then the page says so and the name change is not kept either
    assert "The memberships could not be saved." in response.content.decode()
    employee_of_a.refresh_from_db()
    assert (employee_of_a.first_name, employee_of_a.last_name, employee_of_a.email) == before
    assert Membership.objects.get(user=employee_of_a).company == a


def test_edit_shows_current_permissions_ticked(admin_client, two_companies):
    a, _ = two_companies
    employee = UserFactory()
    MembershipFactory(user=employee, company=a, can_issue_refunds=True)

    grid = admin_client.get(reverse("user_edit", args=[employee.pk])).context["grid"]

    assert grid[f"c{a.pk}_assigned"].initial is True
    assert grid[f"c{a.pk}_can_issue_refunds"].initial is True
    assert grid[f"c{a.pk}_can_cancel_orders"].initial is False


def test_deactivated_employee_cannot_log_in_and_is_logged_out(admin_client, client, employee_of_a):
    client.force_login(employee_of_a)

    response = admin_client.post(reverse("user_deactivate", args=[employee_of_a.pk]), follow=True)

    assert "deactivated" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302  # the open session stops working
    client.post(reverse("login"), {"username": "jdupre", "password": PASSWORD})
    assert client.get(reverse("home")).status_code == 302


def test_reactivated_employee_logs_in_again(admin_client, client, employee_of_a):
    admin_client.post(reverse("user_deactivate", args=[employee_of_a.pk]))
    admin_client.post(reverse("user_reactivate", args=[employee_of_a.pk]))

    client.post(reverse("login"), {"username": "jdupre", "password": PASSWORD})

    assert client.get(reverse("home")).status_code == 200


def test_client_admin_cannot_deactivate_or_demote_themselves(admin_client, client_admin):
    response = admin_client.post(reverse("user_deactivate", args=[client_admin.pk]), follow=True)
    assert "You cannot deactivate yourself." in response.content.decode()

    data = {"first_name": "A", "last_name": "B", "email": "a@example.test"}  # is_client_admin unticked
    response = admin_client.post(reverse("user_edit", args=[client_admin.pk]), data, follow=True)
    assert "You cannot remove your own Client Admin role" in response.content.decode()

    client_admin.refresh_from_db()
    assert client_admin.is_active and client_admin.is_client_admin


def test_users_list_shows_role_companies_and_status(admin_client, employee_of_a, two_companies):
    a, _ = two_companies
    employee_of_a.is_active = False
    employee_of_a.save()

    html = admin_client.get(reverse("user_list")).content.decode()

    assert "jdupre" in html and a.name in html and "Inactive" in html and "Client Admin" in html


def test_actions_menu_renders_as_an_aria_menu_with_post_forms(admin_client, employee_of_a):
    html = admin_client.get(reverse("user_edit", args=[employee_of_a.pk])).content.decode()

    assert 'aria-haspopup="menu"' in html and 'role="menu"' in html
    assert re.search(
        rf'<form method="post" action="{reverse("user_deactivate", args=[employee_of_a.pk])}" data-confirm=', html
    )
    assert "/static/js/menu.js" in html
