"""Manage RMAs (issue 22): filters and search in the URL, sorting, paging without a total,
company isolation, and the same number of queries at 1, 50 and 500 RMAs. Return Settings too."""

import pytest
from django.urls import reverse

from orders.models import RMA, RMAItem
from orders.rma.services import rma_cancel, rma_set_resolution
from orders.rma_choices import ReceivedStatus
from tests.factories import CompanyFactory, MembershipFactory, PackageFactory, UserFactory

from .rma_helpers import create, receive, shipped_order

pytestmark = pytest.mark.django_db
LIST = reverse("rmas:list")


@pytest.fixture
def admin_client(client, client_admin):
    client.force_login(client_admin)
    return client


def numbers(response):
    return [row.rma.number for row in response.context["rows"]]


def bulk_rmas(order, count):
    """`count` RMAs of `order`, written at once (the grid reads them, no service is needed)."""
    line = order.items.first()
    start = RMA.objects.filter(company=order.company).count()
    rmas = RMA.objects.bulk_create(
        RMA(company=order.company, order=order, number=f"RMA-{start + n + 1:06d}") for n in range(count)
    )
    RMAItem.objects.bulk_create(RMAItem(rma=rma, order_item=line, quantity=1, reason="Damaged") for rma in rmas)


def test_filters_search_and_sort(admin_client, client_admin):
    first, second = shipped_order(), shipped_order()
    a = create(first, client_admin, ("LAMP-1", 2))
    b = create(second, client_admin, ("SHADE-1", 1))
    c = create(second, client_admin, ("LAMP-1", 1))
    receive(a, client_admin, "LAMP-1", 1)
    receive(b, client_admin, "SHADE-1", 1)
    rma_set_resolution(rma=b, by=client_admin, item_ids=[b.items.get().pk], resolution="repair")
    rma_cancel(rma=c, by=client_admin)
    tracking = PackageFactory(order=first).tracking_number

    assert numbers(admin_client.get(LIST)) == [c.number, b.number, a.number]
    assert numbers(admin_client.get(LIST, {"status": "cancelled"})) == [c.number]
    assert numbers(admin_client.get(LIST, {"received_status": ReceivedStatus.PARTIALLY_RECEIVED})) == [a.number]
    assert numbers(admin_client.get(LIST, {"received_status": "received"})) == [b.number]
    assert numbers(admin_client.get(LIST, {"resolution": "repair"})) == [b.number]
    assert numbers(admin_client.get(LIST, {"channel": "amazon"})) == []
    assert numbers(admin_client.get(LIST, {"company": first.company.pk})) == [a.number]
    assert numbers(admin_client.get(LIST, {"q": str(first.pk)})) == [a.number]
    assert numbers(admin_client.get(LIST, {"q": second.channel_order_id})) == [c.number, b.number]
    assert numbers(admin_client.get(LIST, {"q": tracking})) == [a.number]
    assert len(numbers(admin_client.get(LIST, {"q": "rma1"}))) == 2  # RMA-000001 of both companies
    assert numbers(admin_client.get(LIST, {"sort": "created"})) == [a.number, b.number, c.number]
    assert numbers(admin_client.get(LIST, {"date_from": "2000-01-01", "date_to": "2000-01-02"})) == []
    bad = admin_client.get(LIST, {"date_from": "not a date", "status": "nonsense"})
    assert bad.status_code == 200 and "Some filters were not applied" in bad.text


def test_pages_without_an_exact_total(admin_client):
    bulk_rmas(shipped_order(), 60)

    first = admin_client.get(LIST)
    assert len(numbers(first)) == 50 and "1-50 of many" in first.text
    assert "51-60 of 60" in admin_client.get(LIST, {"page": 2}).text


def test_a_user_sees_only_the_rmas_of_their_companies(client, client_admin):
    mine, theirs = shipped_order(), shipped_order()
    create(mine, client_admin, ("LAMP-1", 1))
    create(theirs, client_admin, ("LAMP-1", 1))
    employee = UserFactory()
    MembershipFactory(user=employee, company=mine.company)
    client.force_login(employee)

    assert [row.rma.order_id for row in client.get(LIST).context["rows"]] == [mine.pk]
    assert numbers(client.get(LIST, {"company": theirs.company.pk})) == []
    assert numbers(client.get(LIST, {"q": str(theirs.pk)})) == []


@pytest.mark.parametrize("count", [1, 50, 500])
def test_manage_rmas_query_count_does_not_grow(admin_client, django_assert_num_queries, count):
    bulk_rmas(shipped_order(), count)
    admin_client.get(LIST)  # warm: the session and caches

    # the session (read, and saved in a savepoint), the user, the shell's companies, the
    # companies of the scope, and one query for the page of RMAs whatever its size
    with django_assert_num_queries(8):
        response = admin_client.get(LIST, {"status": "open", "sort": "channel"})

    assert len(numbers(response)) == min(count, 50)


def test_return_settings_lists_adds_and_hides_reasons(admin_client, client):
    company = CompanyFactory()
    url = reverse("rma_settings:return_settings", args=[company.pk])

    page = admin_client.get(url)
    assert "Withdrawal within 14 days" in page.text
    response = admin_client.post(url, {"name": "Arrived late"}, follow=True)
    assert "Return reason “Arrived late” added." in response.text
    again = admin_client.post(url, {"name": "arrived late"})
    assert "already in the list" in again.text
    reason = company.return_reasons.get(name="Damaged")
    admin_client.post(reverse("rma_settings:toggle", args=[company.pk]), {"reason": reason.pk, "hidden": "1"})
    reason.refresh_from_db()
    assert reason.hidden

    outsider = UserFactory()
    MembershipFactory(user=outsider, company=CompanyFactory(), can_manage_rmas=True)
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    viewer = UserFactory()
    MembershipFactory(user=viewer, company=company)
    client.force_login(viewer)
    assert client.get(url).status_code == 403


def test_manage_rmas_is_in_the_navigation(admin_client):
    assert f'href="{LIST}"' in admin_client.get(reverse("orders:list")).text
