"""Manage Orders in a real Chromium (Playwright): filter by Channel = Cdiscount, search, tick two
orders and put them On Hold from the searchable Actions menu (SPEC S7). Screenshots go to /tmp."""

import pytest

from orders.choices import Channel, EventKind, OrderStatus
from orders.models import Order, OrderEvent
from tests.browser.test_shell import log_in
from tests.factories import CompanyFactory, MembershipFactory, OrderFactory, UserFactory

pytestmark = [pytest.mark.browser]

SCREENSHOTS = "/tmp/manage-orders-{}.png"


@pytest.fixture
def orders(transactional_db):
    company = CompanyFactory(name="Maison Lumière SAS")
    user = UserFactory(username="jeanne", first_name="Jeanne", last_name="Dupré")
    MembershipFactory(user=user, company=company, can_view_orders=True, can_process_orders=True)
    wanted = [
        OrderFactory(company=company, channel=Channel.CDISCOUNT, customer_name=name)
        for name in ("Hélène Lefèvre", "Hélène Martin")
    ]
    OrderFactory(company=company, channel=Channel.CDISCOUNT, customer_name="Paul Durand")
    OrderFactory(company=company, channel=Channel.AMAZON, customer_name="Hélène Amazon", channel_account=None)
    OrderFactory(company=CompanyFactory(), channel=Channel.CDISCOUNT, customer_name="Hélène Ailleurs")
    return wanted


def test_filter_search_tick_two_orders_and_put_them_on_hold(page, live_server, orders):
    first, second = orders
    log_in(page, live_server, username="jeanne")

    # given the grid, reached from the navigation
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Manage Orders").click()
    page.get_by_role("heading", name="Manage Orders").wait_for()

    # when the user filters on Cdiscount and searches for a name
    page.get_by_role("group", name="Channel").get_by_label("Cdiscount").check()
    page.get_by_label("Search", exact=True).fill("Hélène")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/orders/?*channel=cdiscount*")

    # then only this company's Cdiscount orders for that name are listed
    rows = page.locator("table.mo-grid tbody tr")
    assert rows.count() == 2
    body = page.locator("table.mo-grid tbody").inner_text()
    assert "Hélène Lefèvre" in body and "Hélène Martin" in body
    assert "Paul Durand" not in body and "Hélène Amazon" not in body and "Hélène Ailleurs" not in body
    assert "1-2 of 2" in page.locator(".mo-range").inner_text()

    # when they tick both and pick Set On Hold from the Actions menu, found by searching it
    page.get_by_label(f"Select order {first.pk}").check()
    page.get_by_label(f"Select order {second.pk}").check()
    assert page.locator("[data-mo-selected-count]").inner_text() == "2 selected"
    page.screenshot(path=SCREENSHOTS.format("1-filtered"), full_page=True)
    page.locator(".page-actions").get_by_role("button", name="Actions").click()
    page.get_by_label("Search actions").fill("hold")
    assert not page.get_by_role("button", name="Export CSV", exact=True).is_visible()  # filtered out
    page.screenshot(path=SCREENSHOTS.format("2-actions"), full_page=True)
    page.get_by_role("button", name="Set On Hold", exact=True).click()

    # then a confirmation says how many, and asks the reason
    page.get_by_text("Set On Hold on 2 orders").first.wait_for()
    page.get_by_label("Reason").fill("Adresse à vérifier")
    page.screenshot(path=SCREENSHOTS.format("3-confirm"), full_page=True)
    page.get_by_role("button", name="Set On Hold on 2 orders").click()

    # and back on the same filters, both orders are On Hold, each with its event
    page.get_by_text("Set On Hold: 2 of 2 orders changed.").wait_for()
    assert "channel=cdiscount" in page.url
    assert page.locator("table.mo-grid tbody").inner_text().count("On Hold") == 2
    page.screenshot(path=SCREENSHOTS.format("4-held"), full_page=True)
    for order in orders:
        assert Order.objects.get(pk=order.pk).status == OrderStatus.ON_HOLD
        assert OrderEvent.objects.filter(order=order, kind=EventKind.HOLD).count() == 1
    assert Order.objects.filter(status=OrderStatus.ON_HOLD).count() == 2


def test_save_the_current_filters_as_a_view_and_open_it_again(page, live_server, orders):
    log_in(page, live_server, username="jeanne")
    page.goto(f"{live_server.url}/orders/?channel=cdiscount&q=H%C3%A9l%C3%A8ne")

    # when the user saves the current filters under a name
    page.get_by_role("button", name="Saved Views").click()
    page.get_by_label("Save the current filters as").fill("Hélène sur Cdiscount")
    page.screenshot(path=SCREENSHOTS.format("5-save-view"), full_page=True)
    page.get_by_role("button", name="Save view").click()
    page.get_by_text("Saved view “Hélène sur Cdiscount” created.").wait_for()

    # then, from an unfiltered grid, opening it brings the same filters back
    page.get_by_role("link", name="Reset").click()
    assert page.locator("table.mo-grid tbody tr").count() == 4
    page.get_by_role("button", name="Saved Views").click()
    page.get_by_role("link", name="Hélène sur Cdiscount").click()
    page.wait_for_url("**/orders/?*channel=cdiscount*")
    assert page.locator("table.mo-grid tbody tr").count() == 2
    assert page.get_by_label("Search", exact=True).input_value() == "Hélène"
