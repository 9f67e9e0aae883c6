"""The shell in a real Chromium (Playwright): log in, switch company, open Company Settings,
add an employee, and use the Actions menu with the keyboard."""

import os

import pytest

from sellercloud.models import Membership, Permission, User
from tests.browser import CHROMIUM
from tests.factories import CompanyFactory, UserFactory

PASSWORD = "correct horse battery"  # tests.factories.UserFactory's password

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"),
]


@pytest.fixture
def seeded(transactional_db):
    alpha = CompanyFactory(name="Alpha Maison SAS", legal_name="Alpha Maison SAS", city="Lyon")
    beta = CompanyFactory(name="Beta Lumière SARL", legal_name="Beta Lumière SARL", city="Bordeaux")
    UserFactory(username="admin", first_name="Jeanne", last_name="Dupré", is_client_admin=True)
    return alpha, beta


def log_in(page, live_server, username="admin"):
    page.goto(live_server.url + "/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server.url + "/")


def test_log_in_switch_company_open_settings_and_add_an_employee(page, live_server, seeded):
    alpha, beta = seeded

    # given a Client Admin who logs in
    log_in(page, live_server)
    assert page.title() == "Home · Sellercloud-style OMS"
    # the stylesheet is served in the live server (a styled top bar, not a bare page)
    assert page.locator(".topbar").evaluate("e => getComputedStyle(e).position") == "sticky"

    # when they switch to Beta in the top bar
    page.get_by_label("Company:").select_option(label=beta.name)
    page.get_by_role("button", name="Switch").click()

    # then the page says so, and Company Settings follows the switcher
    page.get_by_role("status").filter(has_text=f"Current company: {beta.name}").wait_for()
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Company Settings").click()
    page.get_by_role("heading", name=f"Company Settings — {beta.name}").wait_for()
    toolbox = page.get_by_role("navigation", name="Toolbox")
    assert "General Settings" in toolbox.inner_text() and "Invoice Settings" in toolbox.inner_text()
    assert "Bordeaux" in page.locator("main").inner_text()  # Beta's details, not Alpha's

    # when they add an employee with refunds in Alpha only
    page.get_by_role("link", name="Users").click()
    page.get_by_role("link", name="Add Employee").click()
    page.get_by_label("Username").fill("mmartin")
    page.get_by_label("First name").fill("Marc")
    page.get_by_label("Last name").fill("Martin")
    page.get_by_label("Email address").fill("marc.martin@example.test")
    page.get_by_label("Initial password").fill("entrepot-lyon-2026")
    page.get_by_label(f"Assigned to {alpha.name}").check()
    page.get_by_label(f"Issue refunds in {alpha.name}").check()
    page.get_by_role("button", name="Add Employee").click()

    # then they are back on Users with a success message and the new row
    page.get_by_role("status").filter(has_text="Employee mmartin added.").wait_for()
    assert page.get_by_role("row").filter(has_text="mmartin").filter(has_text=alpha.name).count() == 1
    employee = User.objects.get(username="mmartin")
    membership = Membership.objects.get(user=employee)
    assert membership.company == alpha and membership.grants(Permission.ISSUE_REFUNDS)


def test_actions_menu_works_with_the_keyboard(page, live_server, seeded):
    log_in(page, live_server)
    page.goto(live_server.url + "/users/")
    button = page.locator("main").get_by_role("button", name="Actions")
    menu = page.locator("main").get_by_role("menu")

    # Arrow Down opens the menu on its first item; Esc closes it and gives focus back
    button.focus()
    page.keyboard.press("ArrowDown")
    assert menu.is_visible()
    assert button.get_attribute("aria-expanded") == "true"
    assert page.evaluate("document.activeElement.textContent.trim()") == "Add Employee"
    page.keyboard.press("Escape")
    assert menu.is_hidden()
    assert page.evaluate("document.activeElement.getAttribute('aria-haspopup')") == "menu"

    # Enter opens it, Enter on the item follows it
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + "/users/add/")


def test_employee_sees_no_users_entry_and_logs_out_from_the_user_menu(page, live_server, seeded):
    alpha, _ = seeded
    employee = UserFactory(username="jdupre")
    Membership.objects.create(user=employee, company=alpha)

    log_in(page, live_server, "jdupre")

    nav = page.get_by_role("navigation", name="Main navigation")
    assert nav.get_by_role("link", name="Company Settings").count() == 1
    assert nav.get_by_role("link", name="Users").count() == 0
    page.get_by_role("button", name="Jeanne Dupré").click()
    page.get_by_role("menuitem", name="Log out").click()
    page.get_by_role("heading", name="Log in").wait_for()
