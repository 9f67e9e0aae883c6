"""The left navigation and the Company Settings Toolbox, as the pages render them: the labels,
links and order a user has always seen, whichever app declares an entry; then the registries
the apps fill in (order by position, never by app loading order)."""

import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from sellercloud import shell
from tests.factories import CompanyFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def rendered_navigation(html: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The Main navigation of a page as (section, [(label, href), ...]), in page order."""
    nav = re.search(r'<nav class="sidenav" aria-label="Main navigation">(.*?)</nav>', html, re.S)
    assert nav, "no Main navigation on the page"
    sections = re.findall(r'<h2 class="nav-section">(.*?)</h2>\s*<ul>(.*?)</ul>', nav.group(1), re.S)
    return [(title, re.findall(r'<li><a href="([^"]*)"[^>]*>(.*?)</a></li>', links)) for title, links in sections]


def rendered_toolbox(html: str) -> list[str]:
    """The Toolbox items of a page in page order: group headings, links and pending labels."""
    toolbox = re.search(r'<nav class="panel toolbox" aria-label="Toolbox">(.*?)</nav>', html, re.S)
    assert toolbox, "no Toolbox on the page"
    return re.findall(
        r'<span class="toolbox-group">(.*?)</span>|<a href="[^"]*"[^>]*>(.*?)</a>|'
        r'<span class="toolbox-pending"[^>]*>(.*?)</span>',
        toolbox.group(1),
    )


def test_navigation_keeps_its_sections_entries_and_order_for_a_client_admin(client):
    company = CompanyFactory(name="Alpha Maison SAS")
    client.force_login(UserFactory(is_client_admin=True))

    html = client.get(reverse("home")).content.decode()

    assert rendered_navigation(html) == [
        ("Orders", [("/orders/", "Manage Orders"), ("/rmas/", "Manage RMAs")]),
        ("Settings", [(f"/companies/{company.pk}/", "Company Settings"), ("/users/", "Users")]),
        ("Sync", [("/sync-log/", "Sync Log"), ("/dashboard/", "Dashboard")]),
    ]


def test_navigation_hides_users_from_an_employee_and_company_settings_without_a_company(client):
    company = CompanyFactory()
    employee = UserFactory()
    MembershipFactory(user=employee, company=company)
    client.force_login(employee)

    assert rendered_navigation(client.get(reverse("home")).content.decode()) == [
        ("Orders", [("/orders/", "Manage Orders"), ("/rmas/", "Manage RMAs")]),
        ("Settings", [(f"/companies/{company.pk}/", "Company Settings")]),
        ("Sync", [("/sync-log/", "Sync Log"), ("/dashboard/", "Dashboard")]),
    ]

    employee.memberships.all().delete()

    assert rendered_navigation(client.get(reverse("home")).content.decode()) == [
        ("Orders", [("/orders/", "Manage Orders"), ("/rmas/", "Manage RMAs")]),
        ("Sync", [("/sync-log/", "Sync Log"), ("/dashboard/", "Dashboard")]),
    ]


def test_navigation_marks_the_current_page(client):
    client.force_login(UserFactory(is_client_admin=True))

    html = client.get(reverse("user_list")).content.decode()

    assert '<li><a href="/users/" class="active" aria-current="page">Users</a></li>' in html
    assert html.count('aria-current="page"') == 1


def test_toolbox_keeps_its_groups_entries_and_order(client):
    company = CompanyFactory()
    client.force_login(UserFactory(is_client_admin=True))

    response = client.get(reverse("company_settings", args=[company.pk]))

    assert [(e.label, e.group, e.url) for e in response.context["toolbox"]] == [
        ("General Settings", "Cdiscount", f"/companies/{company.pk}/cdiscount/"),
        ("Invoice Settings", "", f"/companies/{company.pk}/invoice-settings/"),
        ("Return Settings", "", f"/companies/{company.pk}/return-settings/"),
    ]
    assert rendered_toolbox(response.content.decode()) == [
        ("", "Company Details", ""),
        ("Cdiscount", "", ""),
        ("", "General Settings", ""),
        ("", "Invoice Settings", ""),
        ("", "Return Settings", ""),
    ]


# --- The registries themselves ----------------------------------------------------------------


@pytest.fixture
def empty_registries(monkeypatch):
    """Fresh navigation and Toolbox registries, put back after the test."""
    monkeypatch.setattr(shell, "_navigation", {})
    monkeypatch.setattr(shell, "_toolbox", {})


def entry(label: str, section: str, position: int) -> shell.NavEntry:
    return shell.NavEntry(
        label, lambda company: f"/{label.lower()}/", f"/{label.lower()}/", section=section, position=position
    )


def test_the_order_comes_from_positions_not_from_registration_order(empty_registries, rf):
    # given entries registered as apps late in INSTALLED_APPS would register them
    shell.register_nav(entry("Log", "Sync", 700))
    shell.register_nav(entry("Users", "Settings", 510))
    shell.register_nav(entry("Company", "Settings", 500))
    shell.register_nav(entry("Orders", "Orders", 100))
    shell.register_toolbox(shell.ToolboxEntry("Invoice Settings", position=500))
    shell.register_toolbox(shell.ToolboxEntry("General Settings", group="Cdiscount", position=100))
    request = rf.get("/")
    request.user = UserFactory(is_client_admin=True)

    # when
    navigation = shell.navigation_for(request, CompanyFactory())
    toolbox = shell.toolbox_for(request, CompanyFactory())

    # then
    assert [(title, [link.label for link in links]) for title, links in navigation] == [
        ("Orders", ["Orders"]),
        ("Settings", ["Company", "Users"]),
        ("Sync", ["Log"]),
    ]
    assert [(link.group, link.label) for link in toolbox] == [
        ("Cdiscount", "General Settings"),
        ("", "Invoice Settings"),
    ]


def test_registering_an_entry_again_replaces_it(empty_registries):
    shell.register_nav(entry("Orders", "Orders", 100))
    shell.register_nav(entry("Orders", "Orders", 100))  # a second ready()

    assert [e.label for e in shell.nav_entries()] == ["Orders"]


def test_two_entries_at_one_position_are_refused_at_startup(empty_registries):
    shell.register_nav(entry("Orders", "Orders", 100))
    shell.register_toolbox(shell.ToolboxEntry("General Settings", group="Cdiscount", position=100))

    with pytest.raises(ImproperlyConfigured, match="position 100"):
        shell.register_nav(entry("Returns", "Orders", 100))
    with pytest.raises(ImproperlyConfigured, match="position 100"):
        shell.register_toolbox(shell.ToolboxEntry("Invoice Settings", position=100))


def test_a_company_with_several_channels_lists_them_in_position_order(monkeypatch):
    monkeypatch.setattr(shell, "_integrated_channels", {})
    shell.register_integrated_channel(shell.IntegratedChannel("Fnac", lambda ids: [ids[0]], position=200))
    shell.register_integrated_channel(shell.IntegratedChannel("Cdiscount", lambda ids: ids, position=100))

    assert shell.integrated_channels([1, 2, 3]) == {1: ["Cdiscount", "Fnac"], 2: ["Cdiscount"], 3: ["Cdiscount"]}
